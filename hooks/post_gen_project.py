"""Remove what the answers turned off, then say what to do next."""

from pathlib import Path

TURNED_OFF = {
    ".github/workflows/nightly.yml": "{{ cookiecutter.include_gpu_workflow }}" == "no",
    "LICENSE": "{{ cookiecutter.open_source_license }}" == "Proprietary",
}

for relative_path, turned_off in TURNED_OFF.items():
    if turned_off:
        Path(relative_path).unlink()

print(
    """
Your project is ready in {{ cookiecutter.project_slug }}/. Next steps:

    cd {{ cookiecutter.project_slug }}
    python -m venv .venv && . .venv/bin/activate
    pip install torch --index-url https://download.pytorch.org/whl/cpu   # CPU build; skip for CUDA
    pip install -e ".[dev]"
    pytest -n auto                                        # the fast suite, in seconds
    python -m {{ cookiecutter.module_name }} train --out model.pt       # train the example model
    python -m {{ cookiecutter.module_name }} predict --model model.pt "the striker scored twice"
"""
)
