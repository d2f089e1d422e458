"""A user adds a third architecture the way the generated README's "Adding a model" says,
writes no test, and the model contract covers it: at least 15 contract tests run on it and
pass, and each bug planted in it fails at least one of them."""

import re
import shutil
from pathlib import Path

import pytest
from test_seeded_bugs import PACKAGE, SeededBug, failed_tests

CNN = Path(__file__).with_name("fixtures") / "text_cnn.py"
CONTRACT = "tests/unit/test_model_contract.py"
CONTRACT_ENTRY = '    "text_cnn": {"vocab_size": 64, "hidden_size": 32, "num_outputs": 3},\n'
PASSED_CNN_TEST = re.compile(r"^PASSED \S+\[(?:classifier-|regressor-)?text_cnn\]$", re.MULTILINE)

PLANTED_BUGS = [
    SeededBug(
        "cnn_pools_over_padding",
        "model",
        "models/text_cnn.py",
        old="pooled = (x * is_real).sum(dim=1) / is_real.sum(dim=1).clamp(min=1)",
        new="pooled = x.mean(dim=1)",
        tests=(CONTRACT,),
    ),
    SeededBug(
        "cnn_embedding_detached",
        "model",
        "models/text_cnn.py",
        old="x = self.embedding(input_ids) * is_real",
        new="x = self.embedding(input_ids).detach() * is_real",
        tests=(CONTRACT,),
    ),
    SeededBug(
        "cnn_dropout_left_on_in_eval",
        "model",
        "models/text_cnn.py",
        old="return self.head(self.dropout(pooled))",
        new='return self.head(F.dropout(pooled, self.config["dropout"]))',
        tests=(CONTRACT,),
    ),
    SeededBug(
        "cnn_softmax_inside_forward",
        "model",
        "models/text_cnn.py",
        old="return self.head(self.dropout(pooled))",
        new="return self.head(self.dropout(pooled)).softmax(dim=-1)",
        tests=(CONTRACT,),
    ),
]


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of `old`: a change to the generated file fails loudly."""
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new))


def add_the_cnn(project: Path) -> None:
    """The README's steps and nothing else: the module in models/, registered and exported,
    and its one CONTRACT_MODELS entry."""
    models = project / PACKAGE / "models"
    shutil.copy(CNN, models / "text_cnn.py")
    edit(
        models / "config.py",
        "from .mlp import",
        "from .text_cnn import CNNClassifier\nfrom .mlp import",
    )
    edit(
        models / "config.py",
        "(BagOfNgramsClassifier, MLPClassifier, SmallCNN, TransformerClassifier)",
        "(BagOfNgramsClassifier, CNNClassifier, MLPClassifier, SmallCNN, TransformerClassifier)",
    )
    edit(
        models / "__init__.py",
        "from .mlp import",
        "from .text_cnn import CNNClassifier\nfrom .mlp import",
    )
    edit(
        models / "__init__.py",
        '    "MLPClassifier",\n',
        '    "CNNClassifier",\n    "MLPClassifier",\n',
    )
    contract_models = "CONTRACT_MODELS: dict[str, dict[str, Any]] = {\n"
    edit(project / "tests" / "conftest.py", contract_models, contract_models + CONTRACT_ENTRY)


@pytest.fixture
def project_with_cnn(tmp_path: Path, default_project: Path) -> Path:
    project = shutil.copytree(default_project, tmp_path / default_project.name)
    add_the_cnn(project)
    return project


def test_the_contract_runs_at_least_15_tests_on_the_new_model_and_all_pass(
    project_with_cnn, run_generated_tests
):
    """The whole contract passes with the CNN in it, and at least 15 of its tests ran on it."""
    code, output = run_generated_tests(project_with_cnn, CONTRACT, "-rA")
    assert code == 0, output[-3000:]
    assert len(PASSED_CNN_TEST.findall(output)) >= 15, output[-3000:]


@pytest.mark.parametrize("bug", PLANTED_BUGS, ids=lambda bug: bug.name)
def test_the_contract_catches_a_bug_planted_in_the_new_model(
    bug, project_with_cnn, run_generated_tests, record_property
):
    """The contract fails on the CNN with the bug (exit 1, at least one FAILED test)."""
    caught_by: list[str] = []
    try:
        bug.apply_to(project_with_cnn)
        code, output = run_generated_tests(project_with_cnn, *bug.tests)
        assert code == 1, output[-3000:]
        caught_by = failed_tests(output)
        assert caught_by, output[-3000:]
    finally:
        # Its runs select only the model contract, so a catch is one without tests/regression.
        record_property("seeded_bug", (bug.category, bug.name, caught_by, bool(caught_by)))


def test_a_model_file_that_no_test_runs_fails_the_coverage_floor(
    tmp_path, default_project, run_generated_tests
):
    """A --cov run whose total passes still fails when one file is below the per-file floor
    (80%, in pyproject.toml), and names it: here a model copied in but never registered."""
    project = shutil.copytree(default_project, tmp_path / default_project.name)
    shutil.copy(CNN, project / PACKAGE / "models" / "text_cnn.py")
    model_tests = ("tests/unit/test_models.py", CONTRACT)
    code, output = run_generated_tests(
        project, *model_tests, "--cov=ml_project.models", "--cov-fail-under=50"
    )
    assert code == 1, output[-3000:]
    assert re.search(r"Required test coverage of 50(\.0)?% reached", output), output[-3000:]
    assert re.search(r"^src/ml_project/models/text_cnn\.py: 0\.0%$", output, re.MULTILINE), output
