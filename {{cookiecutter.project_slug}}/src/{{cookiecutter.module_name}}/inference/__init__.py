"""Serving: turn raw texts into class predictions with a saved checkpoint."""

from .predictor import Prediction, Predictor

__all__ = ["Prediction", "Predictor"]
