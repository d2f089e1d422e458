"""Copier's Jinja extension: the names and filters cookiecutter gives the template's files.

The files are written for cookiecutter (``{{ cookiecutter.module_name }}``, ``slugify``,
``quoted``). This extension gives copier the same, so one tree serves both engines; it
uses the same slugify (python-slugify) and the same answer checks as cookiecutter.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path
from types import ModuleType
from typing import Any

from copier.errors import UserMessageError
from copier_template_extensions import ContextHook
from slugify import slugify


def load_beside(name: str) -> ModuleType:
    """Load the template's module ``name`` from beside this file, afresh.

    Copier loads this file by its path, not from sys.path. A plain import would also
    reuse the module cached by an earlier load: ``copier update`` loads the old and the
    new template in one process, and the old copy's files are gone by then.
    """
    spec = spec_from_file_location(f"{__name__}.{name}", Path(__file__).with_name(f"{name}.py"))
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


answer_checks = load_beside("answer_checks")
answer_filters = load_beside("answer_filters")
next_steps = load_beside("next_steps")


def refuse_bad_answers(answers: Mapping[str, object]) -> str:
    """Raise copier's one-line error when an answer breaks a rule of answer_checks.py.

    The hidden last question of copier.yml renders this before any file is written, as
    cookiecutter.json's ``__answers_checked`` does for cookiecutter.
    """
    if message := answer_checks.refusal(answers):
        raise UserMessageError(message)
    return "yes"


class CookiecutterContext(ContextHook):
    """Adds ``cookiecutter``: the answers and ``__year``, as cookiecutter.json defines them.

    Copier calls ``hook`` for every string it renders, its questions' defaults and
    choices included, so the hook also refuses a given choice outside its list before
    copier parses it (and raises a ValueError traceback).
    """

    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["refuse_bad_answers"] = refuse_bad_answers
        environment.filters["quoted"] = answer_filters.quoted
        environment.filters["runner_labels"] = answer_filters.runner_labels
        environment.filters["next_steps"] = next_steps.next_steps
        environment.filters["slugify"] = slugify

    def hook(self, context: dict[str, Any]) -> None:
        if message := answer_checks.choice_refusal(context["_copier_conf"]["data"]):
            raise UserMessageError(message)
        context["cookiecutter"] = {**context, "__year": str(datetime.now(UTC).year)}
