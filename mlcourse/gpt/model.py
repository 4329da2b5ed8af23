"""A small GPT: token and position embeddings, pre-norm blocks, a tied output layer.

The capstone chapter builds this model up piece by piece and trains it on
Shakespeare, character by character. It follows nanoGPT's ``model.py``
(Karpathy), trimmed to what the chapter uses::

    config = GPTConfig(vocab_size=65, block_size=64, n_layer=4, n_embd=128)
    model = GPT(config)
    logits = model(idx)                # (batch, time) ids -> (batch, time, vocab)
    loss = model.loss(idx, targets)       # mean cross-entropy, nats per character
    text_ids = model.generate(idx, 100, temperature=0.8, top_k=10)

Shapes use B for the batch, T for time (positions), C for the embedding width
``n_embd``, H for the number of heads and V for the vocabulary size.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from mlcourse.validation import (
    check_bool,
    check_int,
    check_number,
    check_type,
    describe,
)


@dataclass(frozen=True)
class GPTConfig:
    """The shape of a :class:`GPT`: vocabulary, context length, depth, heads, width.

    ``n_embd`` must be a multiple of ``n_head`` (each head gets
    ``n_embd // n_head`` dimensions). ``dropout`` applies to the attention
    weights, the residual branches and the embeddings while training.
    """

    vocab_size: int = 65
    block_size: int = 64
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = False

    def __post_init__(self) -> None:
        check_int("vocab_size", self.vocab_size, low=1)
        check_int("block_size", self.block_size, low=1)
        check_int("n_layer", self.n_layer, low=1)
        check_int("n_head", self.n_head, low=1)
        check_int("n_embd", self.n_embd, low=1)
        check_number("dropout", self.dropout, low=0, high=1, high_open=True)
        check_bool("bias", self.bias)
        if self.n_embd % self.n_head:
            raise ValueError(
                f"n_embd must be a multiple of n_head, got n_embd={self.n_embd} "
                f"and n_head={self.n_head}"
            )

    def to_dict(self) -> dict:
        """The configuration as plain values (for a checkpoint or a JSON file)."""
        return asdict(self)


def check_ids(name: str, ids: Any, vocab_size: int) -> torch.Tensor:
    """`ids`, checked to be an integer tensor ``(B, T)``, T >= 1, of ids < vocab."""
    check_type(name, ids, torch.Tensor, "a tensor of character ids")
    if ids.dtype not in (torch.int64, torch.int32) or ids.dim() != 2:
        raise ValueError(
            f"{name} must be an int64 tensor of shape (batch, time), "
            f"got {describe(ids)}"
        )
    if ids.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(ids.shape)})")
    low, high = int(ids.min()), int(ids.max())
    if low < 0 or high >= vocab_size:
        raise ValueError(
            f"{name} must hold ids in [0, {vocab_size}), got values from "
            f"{low} to {high}"
        )
    return ids


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position t sees positions 0..t only."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        check_type("config", config, GPTConfig)
        self.n_embd = config.n_embd
        self.n_head, self.dropout = config.n_head, config.dropout
        # One matrix computes queries, keys and values for every head at once.
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_type("x", x, torch.Tensor)
        if x.dim() != 3 or x.shape[2] != self.n_embd or not x.is_floating_point():
            raise ValueError(
                f"x must be a float tensor of shape (batch, time, {self.n_embd}), "
                f"got {describe(x)}"
            )
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        # (B, T, C) -> (B, H, T, C // H): each head attends on its own slice.
        q, k, v = (
            z.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            for z in (q, k, v)
        )
        # softmax(q k^T / sqrt(C // H) + causal mask) v, in one fused kernel.
        y = F.scaled_dot_product_attention(
            q,
            k,
            v,
            is_causal=True,
            dropout_p=self.dropout if self.training else 0.0,
        )
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # heads side by side again
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    """Position-wise feed-forward network: C -> 4C -> GELU -> C."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """A pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """Embeddings, ``n_layer`` blocks, a layer norm, a head tied to wte."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = check_type("config", config, GPTConfig)
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList(Block(config) for _ in range(config.n_layer)),
                ln_f=nn.LayerNorm(config.n_embd, bias=config.bias),
            )
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        # Weight tying: the output layer reuses the token embedding matrix.
        self.lm_head.weight = self.transformer.wte.weight
        self.apply(self._init_weights)
        # Residual projections scaled down so the residual stream's variance
        # does not grow with depth (GPT-2's initialisation).
        for name, parameter in self.named_parameters():
            if name.endswith("c_proj.weight"):
                std = 0.02 / math.sqrt(2 * config.n_layer)
                torch.nn.init.normal_(parameter, mean=0.0, std=std)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            torch.nn.init.zeros_(module.bias)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """Logits of the next character, ``(B, T, V)``, for ids ``(B, T)``."""
        B, T = check_ids("idx", idx, self.config.vocab_size).shape
        if T > self.config.block_size:
            raise ValueError(
                f"idx holds {T} positions, more than "
                f"block_size={self.config.block_size}"
            )
        positions = torch.arange(T, device=idx.device)
        x = self.transformer.drop(
            self.transformer.wte(idx) + self.transformer.wpe(positions)
        )
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))

    def loss(self, idx: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of the next character: nats per character."""
        check_ids("idx", idx, self.config.vocab_size)
        check_ids("targets", targets, self.config.vocab_size)
        if targets.shape != idx.shape:
            raise ValueError(
                f"targets must have the shape of idx {tuple(idx.shape)}, "
                f"got {tuple(targets.shape)}"
            )
        logits = self(idx)
        return F.cross_entropy(logits.flatten(0, 1), targets.flatten())

    def num_parameters(self, include_positions: bool = True) -> int:
        """The number of weights; the tied head is counted once."""
        check_bool("include_positions", include_positions)
        total = sum(p.numel() for p in self.parameters())
        if not include_positions:
            total -= self.transformer.wpe.weight.numel()
        return total

    @torch.no_grad()
    def generate(
        self,
        idx: torch.Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Extend `idx` ``(B, T)`` by `max_new_tokens` sampled characters.

        The logits are divided by `temperature` (below 1: safer, more
        repetitive; above 1: more random); with `top_k`, only the k likeliest
        characters can be drawn. Returns ``(B, T + max_new_tokens)``.
        """
        check_ids("idx", idx, self.config.vocab_size)
        max_new_tokens = check_int("max_new_tokens", max_new_tokens, low=0)
        temperature = check_number("temperature", temperature, low=0, low_open=True)
        if top_k is not None:
            top_k = check_int("top_k", top_k, low=1, high=self.config.vocab_size)
        if generator is not None:
            check_type("generator", generator, torch.Generator)
        for _ in range(max_new_tokens):
            context = idx[:, -self.config.block_size :]
            logits = self(context)[:, -1, :] / temperature
            if top_k is not None:
                kth = torch.topk(logits, top_k).values[:, [-1]]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            probs = F.softmax(logits, dim=-1)
            next_id = torch.multinomial(probs, num_samples=1, generator=generator)
            idx = torch.cat((idx, next_id), dim=1)
        return idx
