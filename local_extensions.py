"""Cookiecutter's Jinja extension: check the answers, write them into TOML and YAML safely."""

from collections.abc import Mapping

from cookiecutter.exceptions import FailedHookException
from jinja2.ext import Extension

from answer_checks import refusal
from answer_filters import quoted, runner_labels
from next_steps import next_steps


def refuse_bad_answers(answers: Mapping[str, object]) -> str:
    """Raise when an answer breaks a rule of answer_checks.py, naming every such answer.

    cookiecutter.json renders this last, before any file or folder exists. The exception
    is cookiecutter's own hook failure, which its command line prints as one line (a
    failing pre_gen_project hook would come after the project folder is made, and with a
    traceback).
    """
    if message := refusal(answers):
        raise FailedHookException(message)
    return "yes"


class QuotedStringExtension(Extension):
    """Registers the ``refuse_bad_answers``, ``quoted``, ``runner_labels`` and
    ``next_steps`` filters."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["refuse_bad_answers"] = refuse_bad_answers
        environment.filters["quoted"] = quoted
        environment.filters["runner_labels"] = runner_labels
        environment.filters["next_steps"] = next_steps
