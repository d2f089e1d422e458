"""Write dependency-modules.txt: the import names of everything the generated project installs.

answer_checks.py reads the file to refuse module names that would shadow one of them. Run
this in the template's own environment (scripts/setup-venv.sh), which holds the generated
project's dependencies and tools, whenever those change; ``--check`` only reports names
missing from the file (tests/test_answers.py runs it):

    .venv/bin/python scripts/list-dependency-modules.py [--check]

It bakes the default project, takes its build requirements, dependencies and every
dependency group (plus pip, which every virtual environment has), follows their
requirements transitively and lists the top-level modules of each distribution. Base
requirements count whatever their markers, so those of every platform and Python version
do; a distribution that is not installed here is listed under its own normalised name.
The modules of torch's CUDA build, which this environment's CPU build does not require, are
added from CUDA_BUILD_MODULES.
"""

import importlib.metadata
import re
import sys
import tempfile
from pathlib import Path

from cookiecutter.main import cookiecutter
from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

TEMPLATE = Path(__file__).resolve().parents[1]
LIST = TEMPLATE / "dependency-modules.txt"
HEADER = "# Written by scripts/list-dependency-modules.py: regenerate it, do not edit it.\n"
ALWAYS_PRESENT = ["pip"]
# What torch's CUDA build (PyPI's Linux wheel, the default there) installs beyond the CPU
# build: its metadata requires triton, cuda-bindings (import name cuda) and nvidia-* and
# cuda-toolkit libraries (namespace nvidia). Check a new torch with
# `pip install --dry-run --no-deps --report - torch==X --platform manylinux_2_28_x86_64
# --only-binary=:all: --target /tmp/x` (its requires_dist).
CUDA_BUILD_MODULES = ["cuda", "nvidia", "triton"]


def normalise(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def root_requirements() -> list[Requirement]:
    """What the default baked project's pyproject.toml asks to install."""
    with tempfile.TemporaryDirectory() as folder:
        baked = cookiecutter(str(TEMPLATE), no_input=True, output_dir=folder, accept_hooks=False)
        project = Path(baked)
        pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    groups = pyproject.get("dependency-groups", {}).values()
    specs = [
        *pyproject["build-system"]["requires"],
        *pyproject["project"]["dependencies"],
        # {include-group = ...} entries name another group, whose specs are listed anyway.
        *(spec for group in groups for spec in group if isinstance(spec, str)),
        *ALWAYS_PRESENT,
    ]
    return [Requirement(spec) for spec in specs]


def applies(requirement: Requirement, extra: str) -> bool:
    """Whether a requirement of a distribution installed with ``extra`` ("" for none) applies.

    Base requirements count whatever their markers; an extra's are evaluated here.
    """
    if "extra" not in str(requirement.marker or ""):
        return extra == ""
    return extra != "" and requirement.marker.evaluate({"extra": extra})


def distribution_closure(roots: list[Requirement]) -> set[str]:
    """The normalised names of every distribution the roots pull in."""
    seen: set[tuple[str, str]] = set()  # (distribution, extra)
    pending = [(normalise(root.name), extra) for root in roots for extra in {"", *root.extras}]
    while pending:
        name, extra = item = pending.pop()
        if item in seen:
            continue
        seen.add(item)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for dependency in map(Requirement, requires):
            if applies(dependency, extra):
                dependency_name = normalise(dependency.name)
                pending += [(dependency_name, e) for e in {"", *dependency.extras}]
    return {name for name, _ in seen}


def top_level_modules(distributions: set[str]) -> set[str]:
    """The importable top-level names of these distributions (a missing one: its name)."""
    owners_of = importlib.metadata.packages_distributions()
    modules = {
        module
        for module, owners in owners_of.items()
        if module.isidentifier() and distributions & {normalise(owner) for owner in owners}
    }
    installed = {normalise(d.metadata["Name"]) for d in importlib.metadata.distributions()}
    return modules | {name.replace("-", "_") for name in distributions - installed}


def main(check: bool) -> int:
    installed = top_level_modules(distribution_closure(root_requirements()))
    modules = sorted({*installed, *CUDA_BUILD_MODULES}, key=str.lower)
    if not check:
        LIST.write_text(HEADER + "\n".join(modules) + "\n", encoding="utf-8")
        return 0
    missing = set(modules) - set(LIST.read_text(encoding="utf-8").split())
    if missing:
        print(f"{LIST.name} lacks {', '.join(sorted(missing))}: run {Path(__file__).name}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(check=sys.argv[1:] == ["--check"]))
