"""Reject bad answers before cookiecutter writes a single file.

Each bad answer prints one line naming the value and how to fix it; the hook then
exits non-zero and cookiecutter removes the half-made project folder.
"""

import json
import keyword
import re
import sys

# Rendered by cookiecutter as a JSON document inside a raw string, so answers
# containing quotes, backslashes, "#" or ":" are read as data, not as code.
ANSWERS = json.loads(r"""{{ cookiecutter | jsonify }}""")

# Imported by the generated project or its tests: a package with one of these
# names would shadow the real one.
DEPENDENCIES = {"torch", "numpy", "pytest", "hypothesis", "test", "tests", "src", "pip"}
SLUG = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
RUNNER_LABEL = re.compile(r"[A-Za-z0-9._-]+")
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
ONE_LINE = "must be one non-empty line of text without control characters"

# (answer, is the value fine?, what is wrong with it and how to fix it)
CHECKS = [
    ("module_name", lambda v: v.isascii() and v.isidentifier(),
     "is not an ASCII Python identifier: use letters, digits and _, not starting with a digit"),
    ("module_name", lambda v: not (keyword.iskeyword(v) or keyword.issoftkeyword(v)),
     "is a Python keyword: choose another import name"),
    ("module_name", lambda v: v not in sys.stdlib_module_names | DEPENDENCIES,
     "would shadow the module of that name: choose another import name"),
    ("project_slug", SLUG.fullmatch,
     "is not a valid folder/distribution name: use letters, digits, '-', '_' or '.'"),
    ("author_email", EMAIL.fullmatch,
     "is not an email address: use the form name@example.com"),
    ("coverage_threshold", lambda v: v.isdigit() and int(v) <= 100,
     "is not a whole number from 0 to 100: use e.g. 90"),
    ("gpu_runner_labels", lambda v: all(RUNNER_LABEL.fullmatch(s.strip()) for s in v.split(",")),
     "is not a comma-separated list of runner labels: use e.g. 'self-hosted, gpu'"),
    ("project_name", lambda v: v.strip() and not CONTROL_CHARACTER.search(v), ONE_LINE),
    ("description", lambda v: v.strip() and not CONTROL_CHARACTER.search(v), ONE_LINE),
    ("author_name", lambda v: v.strip() and not CONTROL_CHARACTER.search(v), ONE_LINE),
]  # fmt: skip


def problems(answers: dict) -> list[str]:
    """One message per failed check (empty when every answer is fine)."""
    return [
        f"{key} {answers[key]!r} {message}."
        for key, is_fine, message in CHECKS
        if not is_fine(answers[key])
    ]


if __name__ == "__main__":
    messages = problems(ANSWERS)
    for message in messages:
        print(f"ERROR: {message}", file=sys.stderr)
    sys.exit(1 if messages else 0)
