"""Jinja filters the template needs: check the answers, write them into TOML and YAML safely."""

import json
from collections.abc import Mapping

from cookiecutter.exceptions import FailedHookException
from jinja2.ext import Extension

from answer_checks import problems


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


def refuse_bad_answers(answers: Mapping[str, object]) -> str:
    """Raise when an answer breaks a rule of answer_checks.py, naming every such answer.

    cookiecutter.json renders this last, before any file or folder exists. The exception
    is cookiecutter's own hook failure, which its command line prints as one line (a
    failing pre_gen_project hook would come after the project folder is made, and with a
    traceback).
    """
    messages = problems(answers)
    if messages:
        raise FailedHookException("ERROR: " + " ".join(messages))
    return "yes"


class QuotedStringExtension(Extension):
    """Registers the ``refuse_bad_answers``, ``quoted`` and ``runner_labels`` filters."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["refuse_bad_answers"] = refuse_bad_answers
        environment.filters["quoted"] = quoted
        environment.filters["runner_labels"] = runner_labels
