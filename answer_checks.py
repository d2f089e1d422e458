"""The rules every answer must follow, in one table, checked before anything is written.

Cookiecutter evaluates ``problems`` through the ``refuse_bad_answers`` filter
(local_extensions.py) while it renders the private ``__answers_checked`` variable, the
last one in cookiecutter.json: after every question is answered, before the project
folder exists; copier through the same filter of copier_extensions.py, in the hidden last
question of copier.yml. Both engines print ``refusal``'s one line.
"""

import json
import keyword
import re
import sys
import unicodedata
from collections.abc import Callable, Mapping
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent
# Import names of the generated project's dependencies, their dependencies and its
# build and test tools; written by scripts/list-dependency-modules.py.
DEPENDENCY_MODULES = TEMPLATE / "dependency-modules.txt"
GENERATED_PROJECT = TEMPLATE / "{{cookiecutter.project_slug}}"
# Each choice question and its choices, as cookiecutter.json lists them (copier.yml agrees).
QUESTIONS = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
CHOICES = {k: v for k, v in QUESTIONS.items() if isinstance(v, list) and not k.startswith("_")}

# Well under the 255-byte file-name limit of common file systems, leaving room for the
# suffixes packaging adds (e.g. "-0.1.0-py3-none-any.whl").
MAX_NAME_LENGTH = 100
SLUG = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")  # PEP 508 names
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
PERCENT = re.compile(r"100|[1-9]?[0-9]")  # ASCII digits, no leading zero: valid TOML
RUNNER_LABEL = re.compile(r"[A-Za-z0-9._-]+")
JINJA_DELIMITER = re.compile(r"\{\{|\{%|\{#")
# Control characters, lone surrogates (unwritable as UTF-8), line and paragraph separators.
NOT_ONE_LINE = {"Cc", "Cs", "Zl", "Zp"}


def reserved_module_names() -> frozenset[str]:
    """Every name a package of the generated project must not take, lower-cased.

    The standard library, the dependency list, and the names the generated project's own
    tests and folders put on ``sys.path`` (``conftest``, ``test_cli``, ``tests``, ...).
    """
    lines = DEPENDENCY_MODULES.read_text(encoding="utf-8").splitlines()
    listed = {line for line in lines if not line.startswith("#")}
    tests = GENERATED_PROJECT / "tests"
    own = {path.stem for path in tests.rglob("*.py")}
    own |= {path.name for path in tests.rglob("*") if path.is_dir()}
    own |= {path.name for path in GENERATED_PROJECT.iterdir() if path.is_dir()}
    return frozenset(name.lower() for name in {*sys.stdlib_module_names, *listed, *own})


def is_text(value: str) -> bool:
    """One non-blank line, without characters that would break a file or render as Jinja.

    An answer that still holds Jinja after cookiecutter rendered it once would be
    rendered again by ``cruft update``, which replays the stored answers as templates.
    """
    return bool(
        value.strip()
        and not any(unicodedata.category(c) in NOT_ONE_LINE for c in value)
        and not JINJA_DELIMITER.search(value)
    )


def is_email(value: str) -> bool:
    """name@domain.tld that the build backend (hatchling) parses back unchanged."""
    try:
        return bool(EMAIL.fullmatch(value)) and Address(addr_spec=value).addr_spec == value
    except (HeaderParseError, ValueError):  # unparseable / parsed with a defect
        return False


Check = tuple[str, Callable[[str], object], str]
# (answer, is the value fine?, what is wrong with it and how to fix it), in answer order.
CHECKS: list[Check] = [
    ("project_name", is_text,
     "must be one line of text without control characters or Jinja delimiters ({{, {%, {#)"),
    ("project_slug", lambda v: SLUG.fullmatch(v) and len(v) <= MAX_NAME_LENGTH,
     f"is not a valid folder/distribution name: use at most {MAX_NAME_LENGTH} ASCII letters, "
     "digits, '-', '_' or '.', starting and ending with a letter or digit "
     "(it is derived from project_name unless you give one)"),
    ("module_name", lambda v: IDENTIFIER.fullmatch(v) and len(v) <= MAX_NAME_LENGTH,
     f"is not an ASCII Python identifier of at most {MAX_NAME_LENGTH} characters: use "
     "letters, digits and _, not starting with a digit"),
    ("module_name", lambda v: not (keyword.iskeyword(v) or keyword.issoftkeyword(v)),
     "is a Python keyword: choose another import name"),
    ("module_name", lambda v: not (v.startswith("__") and v.endswith("__")),
     "is a dunder name, which Python keeps for its own modules (__main__ is the running "
     "script): choose another import name"),
    ("module_name", lambda v: v.lower() not in reserved_module_names(),
     "would shadow the module of that name in the generated project: choose another import name"),
    ("description", is_text,
     "must be one line of text without control characters or Jinja delimiters ({{, {%, {#)"),
    ("author_name", is_text,
     "must be one line of text without control characters or Jinja delimiters ({{, {%, {#)"),
    ("author_email", is_email,
     "is not an email address: use the form name@example.com"),
    ("gpu_runner_labels", lambda v: all(RUNNER_LABEL.fullmatch(s.strip()) for s in v.split(",")),
     "is not a comma-separated list of runner labels: use e.g. 'self-hosted, gpu'"),
    ("coverage_threshold", PERCENT.fullmatch,
     "is not a whole number from 0 to 100 in ASCII digits without leading zeros: use e.g. 90"),
]  # fmt: skip


def problems(answers: Mapping[str, object]) -> list[str]:
    """One message per failed check, naming the answer and its value (empty when all pass).

    A later check on the same answer is skipped once one failed, so each answer gets at
    most one message and no check sees a value an earlier one refused.
    """
    messages: dict[str, str] = {}
    for key, is_fine, message in CHECKS:
        value = answers[key]
        if key not in messages and not (isinstance(value, str) and is_fine(value)):
            messages[key] = f"{key} {value!r} {message}."
    return list(messages.values())


def one_line(messages: list[str]) -> str:
    """The one line that refuses with these messages ("" when there are none)."""
    return "ERROR: " + " ".join(messages) if messages else ""


def refusal(answers: Mapping[str, object]) -> str:
    """The one line that refuses these answers, naming every bad one ("" when all pass)."""
    return one_line(problems(answers))


def choice_refusal(given: Mapping[str, object]) -> str:
    """The one line that refuses a given answer outside its question's choices.

    Cookiecutter refuses such an answer itself, before any template code runs; copier
    raises a ValueError traceback unless its extension calls this first. Values compare
    as text, as copier casts them: a data file's unquoted 3.11 is the choice "3.11".
    """
    return one_line([
        f"{key} {str(given[key])!r} is not one of its choices: {', '.join(choices)}."
        for key, choices in CHOICES.items()
        if key in given and str(given[key]) not in choices
    ])  # fmt: skip
