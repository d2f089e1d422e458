"""A one-hidden-layer MLP for fixed-width feature vectors (the tabular path)."""

import torch
from torch import nn


class MLPClassifier(nn.Module):
    """Linear -> [BatchNorm] -> GELU -> Dropout -> Linear, returning raw outputs (B,
    num_outputs): a logit per class, or the one standardised number of a regressor.

    BatchNorm is optional so the tests can show why ``model.eval()`` matters: in
    training mode it normalises with the statistics of the current batch, in eval
    mode with the running statistics, so only then is a sample's output
    independent of its batch mates.
    """

    name = "mlp"  # key of this class in build_model's registry and in `config`

    def __init__(
        self,
        in_features: int,
        hidden_size: int,
        num_outputs: int,
        dropout: float = 0.1,
        batch_norm: bool = False,
    ) -> None:
        super().__init__()
        self.config: dict[str, object] = {
            "name": self.name,
            "in_features": in_features,
            "hidden_size": hidden_size,
            "num_outputs": num_outputs,
            "dropout": dropout,
            "batch_norm": batch_norm,
        }
        self.hidden = nn.Sequential(
            # BatchNorm subtracts the batch mean, which cancels a bias (its gradient
            # would be exactly zero): BatchNorm's own shift takes its place.
            nn.Linear(in_features, hidden_size, bias=not batch_norm),
            nn.BatchNorm1d(hidden_size) if batch_norm else nn.Identity(),
            nn.GELU(),
            nn.Dropout(dropout),
        )
        self.head = nn.Linear(hidden_size, num_outputs)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        self._check_features(features)
        hidden = self.hidden(features)  # (B, F) -> (B, H)
        logits: torch.Tensor = self.head(hidden)  # (B, H) -> (B, C); no softmax: the loss does
        return logits

    def _check_features(self, features: torch.Tensor) -> None:
        """Fail with what was expected and what came, before torch fails deep inside."""
        in_features = self.config["in_features"]
        expected = f"(batch, {in_features})"
        if not isinstance(features, torch.Tensor):
            raise TypeError(
                f"features must be a torch.Tensor of shape {expected}, "
                f"got {type(features).__name__}"
            )
        dtype = self.head.weight.dtype
        if features.dtype != dtype:
            raise TypeError(f"features must have the model's dtype {dtype}, got {features.dtype}")
        if features.ndim != 2 or features.shape[1] != in_features:
            raise ValueError(f"features must have shape {expected}, got {tuple(features.shape)}")
        if features.shape[0] == 0:
            raise ValueError(
                f"features must hold at least one sample, got shape {tuple(features.shape)}"
            )
