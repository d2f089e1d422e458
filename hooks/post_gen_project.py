"""Say what to do next.

Files an answer turns off are not deleted here: their names render empty (cookiecutter and
copier then skip them), so both engines make the same files without a hook.
"""

print(
    """
Your project is ready in {{ cookiecutter.project_slug }}/. Next steps:

    cd {{ cookiecutter.project_slug }}
    uv sync                      # .venv with CPU-only torch and the dev tools; writes uv.lock
    uv run pytest -n auto        # the fast suite, in seconds
    uv run python -m {{ cookiecutter.module_name }} train --out model.pt
    uv run python -m {{ cookiecutter.module_name }} predict --model model.pt "the striker scored twice"

Commit uv.lock: CI installs with `uv sync --locked`. Without uv (pip >= 25.1):

    python -m venv .venv && . .venv/bin/activate
    pip install --upgrade "pip>=25.1"
    pip install torch --index-url https://download.pytorch.org/whl/cpu   # CPU build; skip for CUDA
    pip install -e . --group dev
"""
)
