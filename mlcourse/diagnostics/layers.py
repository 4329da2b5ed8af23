"""The statistics that :mod:`mlcourse.diagnostics` computes; choosing layers.

Shared by the PyTorch and Keras halves; imports no framework until a PyTorch
model's layers are chosen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from mlcourse.validation import check_callable, check_sequence, check_type, describe

STATS = (
    "act_mean",
    "act_std",
    "act_dead",
    "grad_norm",
    "weight_norm",
    "update_ratio",
)
# Statistics that span orders of magnitude: plotted on a log scale by default.
LOG_SCALE = {"act_std", "grad_norm", "weight_norm", "update_ratio"}

LayerSpec = str | type | Sequence[str] | tuple[type, ...] | None


# ------------------------------------------------------------------ choosing layers


def select_from(
    named: list[tuple[str, Any]], layers: LayerSpec, has_weights
) -> dict:
    """The (name, layer) pairs `layers` asks for, in the model's order.

    `named` lists a model's ``(name, layer)`` pairs; `has_weights(layer)` says
    which layers ``layers=None`` chooses.
    """
    named = check_sequence("named", named, of=tuple, what="(name, layer) pairs")
    for index, pair in enumerate(named):
        if len(pair) != 2 or not isinstance(pair[0], str):
            raise ValueError(
                f"named[{index}] must be a (name, layer) pair, got {describe(pair)}"
            )
    if layers is None:
        check_callable("has_weights", has_weights, "a function of a layer")
        chosen = {name: layer for name, layer in named if has_weights(layer)}
        if not chosen:
            raise ValueError("the model has no layer with parameters to watch")
        return chosen
    if isinstance(layers, type) or (
        isinstance(layers, tuple)
        and layers
        and all(isinstance(t, type) for t in layers)
    ):
        chosen = {name: layer for name, layer in named if isinstance(layer, layers)}
        if not chosen:
            raise ValueError(
                f"layers: the model has no layer of type {describe(layers)}"
            )
        return chosen
    names = [layers] if isinstance(layers, str) else layers
    if not isinstance(names, Iterable) or not all(
        isinstance(n, str) for n in names
    ):
        raise TypeError(
            "layers must be None, a layer name, a list of names, or a layer type, "
            f"got {describe(layers)}"
        )
    names = list(names)
    if not names:
        raise ValueError("layers is empty: name at least one layer")
    known = dict(named)
    for name in names:
        if name not in known:
            listed = ", ".join(repr(n) for n, _ in named[:12])
            raise ValueError(
                f"layers: no layer named {name!r}; the model has {listed}"
            )
    return {name: known[name] for name, _ in named if name in names}


def select_layers(model, layers: LayerSpec = None) -> dict:
    """The submodules of a PyTorch `model` to watch, ``{name: module}``, in order.

    `layers` is ``None`` (every module with parameters of its own: the
    ``Linear``, ``Conv``, ``LayerNorm``... layers), a name from
    ``model.named_modules()`` or a list of them (``["0", "2"]``,
    ``["blocks.0.mlp"]``), or a module type or tuple of types (``nn.ReLU``).
    """
    import torch

    check_type("model", model, torch.nn.Module, "a torch.nn.Module")
    named = [(name or "(model)", module) for name, module in model.named_modules()]
    return select_from(
        named, layers, lambda m: any(True for _ in m.parameters(recurse=False))
    )


def first_tensor(output, tensor_type):
    """The output if it is a tensor, else the first tensor of a tuple or list."""
    check_type("tensor_type", tensor_type, type, "a tensor class")
    if isinstance(output, tensor_type):
        return output
    if isinstance(output, (tuple, list)):
        return next((o for o in output if isinstance(o, tensor_type)), None)
    return None
