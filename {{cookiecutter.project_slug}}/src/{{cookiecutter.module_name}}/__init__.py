"""Text classification with PyTorch, and the tests that keep it honest."""

__version__ = "0.1.0"
