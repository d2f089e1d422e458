"""{{ cookiecutter.project_name }}: a PyTorch text classifier and the tests that keep it honest."""

__version__ = "0.1.0"
