"""A user's own data loader joins the generated data contract by the README's steps.

The loader, tests/fixtures/tsv_loader.py, reads a format the generated project does not:
"label<TAB>text" lines. Added to a baked project as "Adding a data source" says (the
function in task.py, its suffix in DATA_LOADERS, one CONTRACT_DATA_SOURCES entry and the
writer of its fixture file in tests/conftest.py), it passes every data-contract test,
and the same loader with a planted bug fails at least one.
"""

import ast
import re
import shutil
from pathlib import Path

import pytest

LOADER = Path(__file__).with_name("fixtures") / "tsv_loader.py"
CONTRACT = "tests/unit/test_data_contract.py"
ENTRY = "tsv-text"
REGISTRY = "DATA_LOADERS: dict[str, Callable[[DataSpec], PreparedData]] = {}\n"
CONTRACT_SOURCES = "CONTRACT_DATA_SOURCES: dict[str, LoadSource] = {\n"
# What the README's step 3 adds to tests/conftest.py, above CONTRACT_DATA_SOURCES.
TSV_WRITER = '''def write_tsv(path: Path, rows: Sequence[dict]) -> Path:
    """Rows as "label<TAB>text" lines, the format task.load_tsv reads."""
    path.write_text("".join(f"{row['label']}\\t{row['text']}\\n" for row in rows))
    return path


'''
# The generated suite must need at least this many contract tests for one data source.
MIN_CONTRACT_TESTS = 15

# Bugs that users write into loaders; each (old, new) edit must occur once in load_tsv.
PLANTED_BUGS = {
    "test_rows_leak_into_training": (
        "    names = label_names(",
        '    splits["train"] = examples  # "the final model trains on everything"\n'
        "    names = label_names(",
    ),
    # PYTHONHASHSEED=0 (conftest.py's forkserver) orders these labels' set unsorted; under a
    # random hash seed the contract catches set order in about 5 runs of 6 (three classes).
    "labels_in_set_order": (
        'label_names(splits["train"].labels)',
        'tuple(set(splits["train"].labels))',
    ),
    "labels_shifted_by_one": (
        "labels=[label for _, (label, _) in rows]",
        "labels=[label for _, (label, _) in rows[1:] + rows[:1]]",
    ),
}
PASSED = re.compile(r"(\d+) passed")
FAILED = re.compile(r"^FAILED \S+::(\w+)\[", re.MULTILINE)


def load_tsv_source(edit: tuple[str, str] | None = None) -> str:
    """The source of the fixture's load_tsv function, with ``edit`` applied once."""
    module = LOADER.read_text()
    (function,) = (node for node in ast.parse(module).body if isinstance(node, ast.FunctionDef))
    source = ast.get_source_segment(module, function)
    if edit is not None:
        old, new = edit
        assert source.count(old) == 1, f"{old!r} is not in load_tsv exactly once"
        source = source.replace(old, new)
    return source


def replace_once(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in ``path`` by ``new``."""
    source = path.read_text()
    assert source.count(old) == 1, f"{old!r} is not in {path.name} exactly once"
    path.write_text(source.replace(old, new))


def add_tsv_source(project: Path, loader: str) -> None:
    """The README's "Adding a data source", step by step."""
    task = project / "src" / "ml_project" / "task.py"
    anchor = "# Loaders of file formats"
    replace_once(task, anchor, f"{loader}\n\n\n{anchor}")
    replace_once(task, REGISTRY, REGISTRY.replace("{}", '{".tsv": load_tsv}'))
    conftest = project / "tests" / "conftest.py"
    anchor = "# Every data source the project reads"
    replace_once(conftest, anchor, TSV_WRITER + anchor)
    entry = f'    "{ENTRY}": table_source("support.tsv", support_messages, write=write_tsv),\n'
    replace_once(conftest, CONTRACT_SOURCES, CONTRACT_SOURCES + entry)


@pytest.fixture
def project(tmp_path: Path, default_project: Path) -> Path:
    """A private copy of the default project, free to change."""
    return shutil.copytree(default_project, tmp_path / default_project.name)


def run_contract(project: Path, run_generated_tests) -> tuple[int, str]:
    """The data contract's tests of the TSV entry only."""
    return run_generated_tests(project, CONTRACT, "-k", ENTRY)


def test_the_loader_passes_the_data_contract(project, run_generated_tests, record_property):
    """The clean loader, added by the README's steps, passes every data-contract test, and
    the contract has at least MIN_CONTRACT_TESTS of them for it."""
    add_tsv_source(project, load_tsv_source())
    code, output = run_contract(project, run_generated_tests)
    assert code == 0, output[-3000:]
    passed = int(PASSED.search(output).group(1))
    assert passed >= MIN_CONTRACT_TESTS, output[-3000:]
    record_property("figure", f"user TSV loader: {passed} data-contract tests, all pass")


@pytest.mark.parametrize("bug", sorted(PLANTED_BUGS))
def test_a_planted_loader_bug_fails_the_data_contract(
    bug, project, run_generated_tests, record_property
):
    """The loader with one planted bug fails at least one data-contract test (exit 1; a
    collection error, exit 2-4, would mean the planted code is broken, not caught)."""
    add_tsv_source(project, load_tsv_source(PLANTED_BUGS[bug]))
    code, output = run_contract(project, run_generated_tests)
    caught_by = sorted(set(FAILED.findall(output)))
    assert code == 1, output[-3000:]
    assert caught_by, output[-3000:]
    record_property("figure", f"user TSV loader, {bug}: caught by {', '.join(caught_by)}")
