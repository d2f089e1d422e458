"""Jinja filters the template needs to write answers into TOML and YAML safely."""

import json

from jinja2.ext import Extension


def quoted(value: object) -> str:
    """Quote a value as a JSON string, which is also a valid TOML and YAML string.

    Answers are data: a quote, backslash, ``#`` or ``:`` in them must reach the
    file verbatim instead of ending the string early. ``ensure_ascii=False``
    keeps non-ASCII text readable (and avoids surrogate escapes TOML rejects);
    the pre-generation hook already refuses control characters.
    """
    return json.dumps(str(value), ensure_ascii=False)


def runner_labels(value: str) -> str:
    """Render "self-hosted, linux, gpu" as a YAML flow list of quoted labels."""
    labels = [label.strip() for label in value.split(",") if label.strip()]
    return "[" + ", ".join(quoted(label) for label in labels) + "]"


class QuotedStringExtension(Extension):
    """Registers the ``quoted`` and ``runner_labels`` filters."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["quoted"] = quoted
        environment.filters["runner_labels"] = runner_labels
