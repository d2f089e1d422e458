"""Reject bad answers before cookiecutter writes a single file.

Each check prints one line that names the bad value and how to fix it, then
exits non-zero; cookiecutter then removes the half-made project folder.
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
DEPENDENCIES = {"torch", "numpy", "pytest", "hypothesis", "test", "tests", "src", "setuptools", "pip"}
SLUG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
RUNNER_LABEL = re.compile(r"^[A-Za-z0-9._-]+$")
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def problems(answers: dict) -> list[str]:
    """Return one message per bad answer (empty when every answer is fine)."""
    found = []
    module = answers["module_name"]
    if not (module.isascii() and module.isidentifier()):
        found.append(f"module_name {module!r} is not an ASCII Python identifier: use letters, digits and _, not starting with a digit.")
    elif keyword.iskeyword(module) or keyword.issoftkeyword(module):
        found.append(f"module_name {module!r} is a Python keyword: choose another import name.")
    elif module in sys.stdlib_module_names or module in DEPENDENCIES:
        found.append(f"module_name {module!r} would shadow the module of that name: choose another import name.")
    if not SLUG.match(answers["project_slug"]):
        found.append(f"project_slug {answers['project_slug']!r} is not a valid folder/distribution name: use letters, digits, '-', '_' or '.'.")
    if not EMAIL.match(answers["author_email"]):
        found.append(f"author_email {answers['author_email']!r} is not an email address: use the form name@example.com.")
    threshold = answers["coverage_threshold"]
    if not (threshold.isdigit() and 0 <= int(threshold) <= 100):
        found.append(f"coverage_threshold {threshold!r} is not a whole number from 0 to 100: use e.g. 90.")
    labels = [label.strip() for label in answers["gpu_runner_labels"].split(",")]
    if not all(RUNNER_LABEL.match(label) for label in labels):
        found.append(f"gpu_runner_labels {answers['gpu_runner_labels']!r} is not a comma-separated list of runner labels: use e.g. 'self-hosted, gpu'.")
    for key in ("project_name", "description", "author_name"):
        if CONTROL_CHARACTER.search(answers[key]) or not answers[key].strip():
            found.append(f"{key} {answers[key]!r} must be one non-empty line of text without control characters.")
    return found


if __name__ == "__main__":
    messages = problems(ANSWERS)
    for message in messages:
        print(f"ERROR: {message}", file=sys.stderr)
    sys.exit(1 if messages else 0)
