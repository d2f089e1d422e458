"""Baking: every answer produces exactly the files it promises, fully rendered,
valid and lint-clean."""

import re
from pathlib import Path

import pytest
from baking import BIN, read_pyproject, run

CHOICES = {
    "python_version": ["3.11", "3.12", "3.13", "3.14"],
    "open_source_license": ["MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary"],
    "include_gpu_workflow": ["yes", "no"],
}
EVERY_CHOICE = [(key, value) for key, values in CHOICES.items() for value in values]
# Jinja syntax, except GitHub's own `${{ ... }}` expressions.
LEFTOVER_JINJA = re.compile(r"(?<!\$)\{\{|\{%|\{#")


def files_of(project: Path) -> set[str]:
    return {
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def workflows(project: Path) -> list[Path]:
    return sorted((project / ".github" / "workflows").glob("*.yml"))


class TestFiles:
    def test_default_answers_bake_the_expected_files(self, default_project):
        """The default project has exactly the expected files: catches a file lost or
        left over by a template change (the list below is the contract)."""
        assert files_of(default_project) == EXPECTED_FILES

    @pytest.mark.parametrize(("key", "value"), EVERY_CHOICE)
    def test_each_choice_bakes_its_files(self, bake, key, value):
        """Each answer adds or removes exactly its files: catches a hook that prunes
        the wrong file or forgets one."""
        project = bake(**{key: value})
        expected = set(EXPECTED_FILES)
        if key == "open_source_license" and value == "Proprietary":
            expected.remove("LICENSE")
        if key == "include_gpu_workflow" and value == "no":
            expected -= {".github/workflows/nightly.yml", ".github/actionlint.yaml"}
        assert files_of(project) == expected


class TestRendering:
    @pytest.mark.parametrize(("key", "value"), EVERY_CHOICE)
    def test_no_jinja_left(self, bake, key, value):
        """No `{{`, `{%` or `{#` survives rendering (GitHub's `${{ }}` does): catches
        unrendered template code and workflow expressions eaten by Jinja."""
        project = bake(**{key: value})
        for relative in files_of(project):
            text = (project / relative).read_text()
            assert not LEFTOVER_JINJA.search(text), f"Jinja left in {relative}"

    def test_github_expressions_survive(self, default_project):
        """`${{ ... }}` expressions reach the workflows intact: catches Jinja
        rendering them to empty strings."""
        for workflow in workflows(default_project):
            assert "${{ " in workflow.read_text(), workflow.name

    def test_answers_appear_where_promised(self, bake):
        """Project name, description and author reach README and pyproject."""
        project = bake(project_name="Spam Filter", author_name="Ada Lovelace")
        assert project.name == "spam-filter"
        assert (project / "src" / "spam_filter" / "__init__.py").is_file()
        assert "# Spam Filter" in (project / "README.md").read_text()
        assert "Spam Filter" in (project / "pyproject.toml").read_text()
        assert read_pyproject(project)["project"]["authors"][0]["name"] == "Ada Lovelace"

    @pytest.mark.parametrize("version", CHOICES["python_version"])
    def test_python_version_sets_requires_python_and_ci_matrix(self, bake, version):
        """The minimum Python sets requires-python, ruff's target and the CI matrix
        (that version up to 3.14): catches string comparison of versions ("3.10" < "3.9")."""
        project = bake(python_version=version)
        pyproject = read_pyproject(project)
        assert pyproject["project"]["requires-python"] == f">={version}"
        assert pyproject["tool"]["ruff"]["target-version"] == "py" + version.replace(".", "")
        tests_yml = (project / ".github" / "workflows" / "tests.yml").read_text()
        matrix = re.search(r"python-version: \[(.*)\]", tests_yml).group(1)
        wanted = [
            v
            for v in CHOICES["python_version"]
            if tuple(map(int, v.split("."))) >= tuple(map(int, version.split(".")))
        ]
        assert [v.strip().strip("\"'") for v in matrix.split(",")] == wanted

    @pytest.mark.parametrize("license_id", ["MIT", "Apache-2.0", "BSD-3-Clause"])
    def test_license_file_matches_answer(self, bake, license_id):
        """LICENSE holds the chosen license with the author, and pyproject names it."""
        project = bake(open_source_license=license_id, author_name="Ada Lovelace")
        text = (project / "LICENSE").read_text()
        assert LICENSE_TITLES[license_id] in text
        if license_id != "Apache-2.0":  # Apache's text carries no copyright line
            assert "Ada Lovelace" in text
        assert read_pyproject(project)["project"]["license"] == license_id


class TestValidity:
    @pytest.mark.parametrize("gpu", ["yes", "no"])
    def test_workflows_match_github_schema(self, bake, gpu):
        """Every workflow and dependabot.yml validate against GitHub's schemas."""
        project = bake(include_gpu_workflow=gpu)
        run(
            BIN / "check-jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *workflows(project),
        )
        run(
            BIN / "check-jsonschema",
            "--builtin-schema",
            "vendor.dependabot",
            project / ".github" / "dependabot.yml",
        )

    def test_workflows_pass_zizmor(self, default_project):
        """No medium or high zizmor finding (unpinned actions, template injection,
        excessive permissions...)."""
        run(BIN / "zizmor", "--offline", "--min-severity", "medium", default_project / ".github")

    @pytest.mark.parametrize(("key", "value"), EVERY_CHOICE)
    def test_code_is_ruff_clean(self, bake, key, value):
        """Generated code passes `ruff check` and `ruff format --check` with the
        generated project's own configuration, whatever the answers."""
        project = bake(**{key: value})
        run(BIN / "ruff", "check", "--no-cache", ".", cwd=project)
        run(BIN / "ruff", "format", "--check", "--no-cache", ".", cwd=project)

    def test_pyproject_builds_and_installs(self, project_python):
        """The baked pyproject builds a wheel that installs and imports by its module name."""
        result = run(project_python, "-c", "import ml_project, sys; print(ml_project.__file__)")
        assert "site-packages" in result.stdout


LICENSE_TITLES = {
    "MIT": "MIT License",
    "Apache-2.0": "Apache License",
    "BSD-3-Clause": "BSD 3-Clause License",
}

EXPECTED_FILES = {
    ".github/actionlint.yaml",
    ".github/dependabot.yml",
    ".github/uv-sync.sh",
    ".github/workflows/nightly.yml",
    ".github/workflows/tests.yml",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".test_durations",
    "LICENSE",
    "Makefile",
    "README.md",
    "benchmarks/train_at_size.py",
    "pyproject.toml",
    "src/ml_project/__init__.py",
    "src/ml_project/__main__.py",
    "src/ml_project/baselines.py",
    "src/ml_project/atomic.py",
    "src/ml_project/checkpoint.py",
    "src/ml_project/cli.py",
    "src/ml_project/data/__init__.py",
    "src/ml_project/data/augmentation.py",
    "src/ml_project/data/batching.py",
    "src/ml_project/data/dataset.py",
    "src/ml_project/data/example.py",
    "src/ml_project/data/files.py",
    "src/ml_project/data/image_sources.py",
    "src/ml_project/data/images.py",
    "src/ml_project/data/normalization.py",
    "src/ml_project/data/sources.py",
    "src/ml_project/data/tokenizer.py",
    "src/ml_project/inference/__init__.py",
    "src/ml_project/inference/predictor.py",
    "src/ml_project/report.py",
    "src/ml_project/models/__init__.py",
    "src/ml_project/models/cnn.py",
    "src/ml_project/models/config.py",
    "src/ml_project/models/mlp.py",
    "src/ml_project/models/ngrams.py",
    "src/ml_project/models/token_inputs.py",
    "src/ml_project/models/transformer.py",
    "src/ml_project/py.typed",
    "src/ml_project/task.py",
    "src/ml_project/training/__init__.py",
    "src/ml_project/training/distributed.py",
    "src/ml_project/training/loop.py",
    "src/ml_project/training/losses.py",
    "src/ml_project/training/metrics.py",
    "src/ml_project/training/progress.py",
    "src/ml_project/training/seeding.py",
    "tests/benchmarks/test_speed.py",
    "tests/conftest.py",
    "tests/integration/test_cli.py",
    "tests/integration/test_distributed.py",
    "tests/integration/test_evaluation.py",
    "tests/integration/test_example_data.py",
    "tests/integration/test_gpu.py",
    "tests/integration/test_image_serving.py",
    "tests/integration/test_inference.py",
    "tests/integration/test_regression_targets.py",
    "tests/integration/test_report.py",
    "tests/integration/test_training.py",
    "tests/regression/golden/baseline.json",
    "tests/regression/golden/golden_set.jsonl",
    "tests/regression/golden/regression_baseline.json",
    "tests/regression/golden/regression_set.csv",
    "tests/regression/test_metrics.py",
    "tests/regression/test_rmse.py",
    "tests/regression/test_simpler_models.py",
    "tests/unit/test_baselines.py",
    "tests/unit/test_calibration.py",
    "tests/unit/test_classification_metrics.py",
    "tests/unit/test_data.py",
    "tests/unit/test_data_contract.py",
    "tests/unit/test_images.py",
    "tests/unit/test_losses.py",
    "tests/unit/test_model_contract.py",
    "tests/unit/test_models.py",
    "tests/unit/test_regression_metrics.py",
    "tests/unit/test_ngrams.py",
    "tests/unit/test_seeding.py",
    "tests/unit/test_atomic.py",
    "tests/unit/test_progress.py",
    "tests/unit/test_sources.py",
    "tests/unit/test_tokenizer.py",
}
