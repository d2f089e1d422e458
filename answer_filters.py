"""Jinja filters that write answers into the generated files, for either engine.

local_extensions.py registers them for cookiecutter, copier_extensions.py for copier.
"""

import json


def quoted(value: object) -> str:
    """Quote a value as a JSON string, which is also a valid TOML and YAML string.

    Answers are data: a quote, backslash, ``#`` or ``:`` in them must reach the
    file verbatim instead of ending the string early. ``ensure_ascii=False``
    keeps non-ASCII text readable (and avoids surrogate escapes TOML rejects);
    the answer checks already refuse control characters.
    """
    return json.dumps(str(value), ensure_ascii=False)


def runner_labels(value: str) -> str:
    """Render "self-hosted, linux, gpu" as a YAML flow list of quoted labels."""
    labels = [label.strip() for label in value.split(",") if label.strip()]
    return "[" + ", ".join(quoted(label) for label in labels) + "]"
