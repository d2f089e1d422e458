"""A small pre-LN transformer encoder that classifies padded token sequences.

Written nanoGPT style: plain modules, shapes in comments. Shape letters:
B batch, T sequence length, H hidden size, N heads, D head size (H / N), C outputs (one
per class, or one for a regressor: ``num_outputs``).
Padding never influences the logits: padded keys get zero attention weight and
padded positions are left out of the mean pool. Sequences are right-padded (as
the tokenizer does), so real tokens keep their positions whatever the padding.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

from .token_inputs import real_token_mask


class MultiHeadSelfAttention(nn.Module):
    """Every position attends to the real (unpadded) positions of its own sequence."""

    def __init__(self, hidden_size: int, num_heads: int, dropout: float) -> None:
        super().__init__()
        if hidden_size % num_heads != 0:
            raise ValueError(
                f"hidden_size must be divisible by num_heads, got {hidden_size} and {num_heads}"
            )
        self.num_heads = num_heads
        self.qkv = nn.Linear(hidden_size, 3 * hidden_size)  # queries, keys, values at once
        self.out_proj = nn.Linear(hidden_size, hidden_size)
        self.attention_dropout = nn.Dropout(dropout)
        self.residual_dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, key_mask: torch.Tensor) -> torch.Tensor:
        """Mix the positions of x (B, T, H); key_mask (B, T) is True for real tokens."""
        batch, length, hidden = x.shape
        head_size = hidden // self.num_heads
        q, k, v = self.qkv(x).split(hidden, dim=2)  # 3 x (B, T, H)
        q = q.view(batch, length, self.num_heads, head_size).transpose(1, 2)  # (B, N, T, D)
        k = k.view(batch, length, self.num_heads, head_size).transpose(1, 2)  # (B, N, T, D)
        v = v.view(batch, length, self.num_heads, head_size).transpose(1, 2)  # (B, N, T, D)

        scores = q @ k.transpose(-2, -1) / math.sqrt(head_size)  # (B, N, T, T)
        # The most negative finite value, not -inf: its exp is exactly 0 next to any
        # real key, and a fully padded row gets uniform weights instead of NaN.
        padded_keys = ~key_mask[:, None, None, :]  # (B, 1, 1, T)
        scores = scores.masked_fill(padded_keys, torch.finfo(scores.dtype).min)
        weights = self.attention_dropout(F.softmax(scores, dim=-1))  # (B, N, T, T)

        out = weights @ v  # (B, N, T, D)
        out = out.transpose(1, 2).reshape(batch, length, hidden)  # (B, T, H)
        mixed: torch.Tensor = self.residual_dropout(self.out_proj(out))
        return mixed


class FeedForward(nn.Module):
    """The per-position MLP of a block: widen four times, GELU, project back."""

    def __init__(self, hidden_size: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(hidden_size, 4 * hidden_size),
            nn.GELU(),
            nn.Linear(4 * hidden_size, hidden_size),
            nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.net(x)  # (B, T, H) -> (B, T, H)
        return out


class Block(nn.Module):
    """Pre-LN transformer block: x + attention(LN(x)), then x + feed_forward(LN(x))."""

    def __init__(self, hidden_size: int, num_heads: int, dropout: float) -> None:
        super().__init__()
        self.attention_norm = nn.LayerNorm(hidden_size)
        self.attention = MultiHeadSelfAttention(hidden_size, num_heads, dropout)
        self.feed_forward_norm = nn.LayerNorm(hidden_size)
        self.feed_forward = FeedForward(hidden_size, dropout)

    def forward(self, x: torch.Tensor, key_mask: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.attention_norm(x), key_mask)  # (B, T, H)
        out: torch.Tensor = x + self.feed_forward(self.feed_forward_norm(x))  # (B, T, H)
        return out


class TransformerClassifier(nn.Module):
    """Token + position embeddings, pre-LN blocks, masked mean pool, linear head."""

    name = "transformer"  # key of this class in build_model's registry and in `config`

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        num_layers: int,
        num_outputs: int,
        num_heads: int = 2,
        max_length: int = 64,
        dropout: float = 0.1,
        pad_id: int = 0,
    ) -> None:
        super().__init__()
        if not 0 <= pad_id < vocab_size:
            raise ValueError(f"pad_id must be in [0, {vocab_size}), got {pad_id}")
        # What forward's checks read, typed; `config` holds them for rebuilding the model.
        self.vocab_size, self.max_length, self.pad_id = vocab_size, max_length, pad_id
        self.config: dict[str, object] = {
            "name": self.name,
            "vocab_size": vocab_size,
            "hidden_size": hidden_size,
            "num_layers": num_layers,
            "num_outputs": num_outputs,
            "num_heads": num_heads,
            "max_length": max_length,
            "dropout": dropout,
            "pad_id": pad_id,
        }
        self.token_embedding = nn.Embedding(vocab_size, hidden_size)
        self.position_embedding = nn.Embedding(max_length, hidden_size)
        self.embedding_dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            Block(hidden_size, num_heads, dropout) for _ in range(num_layers)
        )
        self.final_norm = nn.LayerNorm(hidden_size)
        self.head = nn.Linear(hidden_size, num_outputs)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Logits (B, C) for input_ids (B, T); attention_mask (B, T) is 1 for real tokens.

        Without a mask, every position whose id is pad_id counts as padding.
        """
        key_mask = real_token_mask(  # (B, T)
            input_ids,
            attention_mask,
            vocab_size=self.vocab_size,
            pad_id=self.pad_id,
            max_length=self.max_length,
        )

        positions = torch.arange(input_ids.shape[1], device=input_ids.device)  # (T,)
        x = self.token_embedding(input_ids) + self.position_embedding(positions)  # (B, T, H)
        x = self.embedding_dropout(x)
        for block in self.blocks:
            x = block(x, key_mask)  # (B, T, H)
        x = self.final_norm(x)

        # Mean over real positions only; a fully padded row pools to zeros, not NaN.
        x = x.masked_fill(~key_mask[:, :, None], 0.0)  # (B, T, H)
        num_real = key_mask.sum(dim=1, keepdim=True).clamp(min=1)  # (B, 1)
        pooled = x.sum(dim=1) / num_real  # (B, H)
        logits: torch.Tensor = self.head(pooled)  # (B, C); no softmax: the loss applies it
        return logits
