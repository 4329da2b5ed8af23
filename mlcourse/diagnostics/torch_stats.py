"""Per-layer statistics of a PyTorch model: :func:`record` and :func:`snapshot`.

Forward hooks on the chosen layers take the activation statistics; hooks on
the optimizer's step take the gradient norms and the update-to-weight ratios.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from mlcourse.diagnostics.layers import (
    STATS,
    LayerSpec,
    first_tensor,
    select_layers,
)
from mlcourse.validation import check_callable, check_int, check_type, describe


def _torch_activation_stats(output):
    """(mean, std, dead fraction) of a tensor, as a float32 tensor of 3 values."""
    import torch

    with torch.no_grad():
        values = output.detach().float()
        if values.numel() == 0:
            return torch.full((3,), math.nan, device=values.device)
        mean, std = values.mean(), values.std(correction=0)
        if values.ndim == 0:
            dead = torch.tensor(math.nan, device=values.device)
        else:
            units = values.reshape(-1, values.shape[-1])
            dead = (units.amax(dim=0) <= 0).float().mean()
        return torch.stack([mean, std, dead])


def _norm(tensors, device):
    """The L2 norm of several tensors together, in float32 (NaN if none)."""
    import torch

    squares = [t.detach().float().pow(2).sum().to(device) for t in tensors]
    if not squares:
        return torch.tensor(math.nan, device=device)
    return torch.stack(squares).sum().sqrt()


class Recorder:
    """Per-layer statistics of a PyTorch model, recorded at its optimizer's steps.

    Created by :func:`record`; see there. ``recorder.table()`` returns what was
    recorded; ``recorder.close()`` (or leaving the ``with`` block) removes the
    hooks, after which the model and optimizer are as they were.
    """

    def __init__(self, model, optimizer, layers: LayerSpec = None, every: int = 1):
        import torch

        self.layers = select_layers(model, layers)
        check_type(
            "optimizer", optimizer, torch.optim.Optimizer, "a torch optimizer"
        )
        self.every = check_int("every", every, low=1)
        first = next(iter(model.parameters()), None)
        self.device = first.device if first is not None else torch.device("cpu")
        self.steps_taken = 0  # optimizer steps since recording began
        self._rows: list = []  # one (n_layers, len(STATS)) tensor per recorded step
        self._steps: list[int] = []
        self._activations: dict[str, Any] = {}
        self._before: dict[str, list] = {}
        self._pending: dict[str, Any] = {}
        self._handles = [
            layer.register_forward_hook(self._forward_hook(name))
            for name, layer in self.layers.items()
        ]
        self._handles.append(optimizer.register_step_pre_hook(self._before_step))
        self._handles.append(optimizer.register_step_post_hook(self._after_step))

    @property
    def layer_names(self) -> list[str]:
        """The names of the watched layers, in model order."""
        return list(self.layers)

    def _recording(self) -> bool:
        return self.steps_taken % self.every == 0

    def _forward_hook(self, name: str) -> Callable:
        import torch

        def hook(module, inputs, output):
            # A forward pass without gradients (validation) is not a training step.
            if not torch.is_grad_enabled() or not self._recording():
                return
            tensor = first_tensor(output, torch.Tensor)
            if tensor is not None:
                self._activations[name] = _torch_activation_stats(tensor).to(
                    self.device
                )

        return hook

    def _before_step(self, optimizer, args, kwargs) -> None:
        if not self._recording():
            return
        for name, layer in self.layers.items():
            params = list(layer.parameters())
            grads = [p.grad for p in params if p.grad is not None]
            self._pending[name] = (
                _norm(grads, self.device),
                _norm(params, self.device),
            )
            self._before[name] = [p.detach().clone() for p in params]

    def _after_step(self, optimizer, args, kwargs) -> None:
        import torch

        if self._recording() and self._before:
            nan = torch.tensor(math.nan, device=self.device)
            rows = []
            for name, layer in self.layers.items():
                activation = self._activations.get(name)
                if activation is None:
                    activation = torch.full((3,), math.nan, device=self.device)
                grad_norm, weight_norm = self._pending[name]
                params = list(layer.parameters())
                moved = _norm(
                    [
                        p.detach() - old
                        for p, old in zip(params, self._before[name])
                    ],
                    self.device,
                )
                ratio = torch.where(weight_norm > 0, moved / weight_norm, nan)
                rows.append(
                    torch.cat(
                        [activation, torch.stack([grad_norm, weight_norm, ratio])]
                    )
                )
            self._rows.append(torch.stack(rows))
            self._steps.append(self.steps_taken + 1)
        self._activations, self._before, self._pending = {}, {}, {}
        self.steps_taken += 1

    def table(self):
        """The recorded statistics: a pandas DataFrame, one row per (step, layer).

        Columns: ``step`` (the optimizer step, counted from 1 when recording
        began), ``layer`` (its name), then :data:`STATS`.
        """
        import pandas as pd
        import torch

        columns = ["step", "layer", *STATS]
        if not self._rows:
            return pd.DataFrame(columns=columns)
        values = (
            torch.stack(self._rows).cpu().double().numpy()
        )  # (steps, layers, stats)
        n_steps, n_layers, _ = values.shape
        frame = pd.DataFrame(
            values.reshape(n_steps * n_layers, len(STATS)), columns=list(STATS)
        )
        frame.insert(0, "layer", self.layer_names * n_steps)
        frame.insert(0, "step", np.repeat(self._steps, n_layers))
        return frame

    def close(self) -> None:
        """Remove the hooks from the model and the optimizer (twice is fine)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def record(
    model, optimizer, *, layers: LayerSpec = None, every: int = 1
) -> Recorder:
    """Watch a PyTorch `model` train: per-layer statistics every `every` steps.

    Use it as a context manager around any training loop that calls
    ``optimizer.step()`` (the book's ``fit_torch``, or a hand-written loop)::

        with diagnostics.record(model, optimizer) as recorder:
            ...  # train
        recorder.table()

    Forward hooks on the chosen `layers` (see :func:`select_layers`) take the
    activation statistics of the last forward pass with gradients enabled
    (validation under ``torch.no_grad()`` is skipped); hooks on the
    optimizer's step take the gradient norms just before the update (after
    any clipping) and the update-to-weight ratio just after it. The hooks are
    removed when the block ends, also on an error. Recording a step copies the
    watched parameters once and costs one forward statistic per layer; for a
    large model, a larger `every` keeps that small.
    """
    return Recorder(model, optimizer, layers=layers, every=every)


def _as_tensor(name: str, value, device):
    """`value` as a tensor on `device`: a batch of at least one finite example."""
    import torch

    if isinstance(value, torch.Tensor):
        tensor = value.to(device)
    else:
        try:
            tensor = torch.as_tensor(np.asarray(value), device=device)
        except (TypeError, ValueError, RuntimeError) as error:
            raise TypeError(
                f"{name} must be a tensor or an array, "
                f"got {describe(value)}: {error}"
            ) from None
    if tensor.ndim == 0 or len(tensor) == 0:
        raise ValueError(
            f"{name} must be a batch of at least one example, got {describe(value)}"
        )
    if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
        bad = int((~torch.isfinite(tensor)).sum())
        raise ValueError(f"{name} holds {bad} non-finite value(s) (NaN or inf)")
    return tensor


def _call(name: str, value, call: str, function: Callable, *args):
    """``function(*args)``; an error it raises names the argument that caused it."""
    try:
        return function(*args)
    except (RuntimeError, ValueError, TypeError, IndexError) as error:
        raise ValueError(
            f"{name} does not fit: {call} failed on {name} = {describe(value)}: "
            f"{type(error).__name__}: {error}"
        ) from error


def _check_scalar_loss(loss) -> None:
    if getattr(loss, "ndim", None) != 0:
        raise ValueError(
            f"loss_fn must return one number (the batch mean), got {describe(loss)}"
        )


def snapshot(
    model,
    x,
    y=None,
    loss_fn: Callable | None = None,
    *,
    layers: LayerSpec = None,
):
    """Per-layer statistics of one forward (and backward) pass of a PyTorch `model`.

    Returns a pandas DataFrame, one row per layer (column ``layer`` then
    :data:`STATS`, with ``update_ratio`` NaN: nothing is updated). With `y`
    and `loss_fn` (called ``loss_fn(model(x), y)``), the gradient norms are
    filled in and the loss is in ``frame.attrs["loss"]``. The model runs in
    the mode it is in (``train()`` or ``eval()``); its parameters' ``.grad``
    and its buffers (batch-norm running statistics) are left unchanged.
    `x` and `y` must hold at least one example and no NaN or inf (the data is
    not what this diagnoses); a NaN or inf from the weights shows in the table.
    """
    import pandas as pd
    import torch

    chosen = select_layers(model, layers)
    if (y is None) != (loss_fn is None):
        raise ValueError("give both y and loss_fn (for the gradients), or neither")
    if loss_fn is not None:
        check_callable("loss_fn", loss_fn)
    first = next(iter(model.parameters()), None)
    device = first.device if first is not None else torch.device("cpu")
    x = _as_tensor("x", x, device)
    if y is not None:
        y = _as_tensor("y", y, device)
    activations: dict[str, Any] = {}

    def hook_for(name):
        def hook(module, inputs, output):
            tensor = first_tensor(output, torch.Tensor)
            if tensor is not None:
                activations[name] = _torch_activation_stats(tensor).to(device)

        return hook

    buffers = {name: b.detach().clone() for name, b in model.named_buffers()}
    handles = [
        layer.register_forward_hook(hook_for(name))
        for name, layer in chosen.items()
    ]
    nan = torch.tensor(math.nan, device=device)
    try:
        with torch.set_grad_enabled(loss_fn is not None):
            outputs = _call("x", x, "model(x)", model, x)
            grad_norms = {name: nan for name in chosen}
            loss_value = math.nan
            if loss_fn is not None:
                loss = _call("y", y, "loss_fn(model(x), y)", loss_fn, outputs, y)
                _check_scalar_loss(loss)
                # One backward pass for all layers; the .grad fields stay untouched.
                params = {
                    id(p): p
                    for layer in chosen.values()
                    for p in layer.parameters()
                    if p.requires_grad
                }
                if params and not loss.requires_grad:
                    raise ValueError(
                        "loss_fn must return a loss computed from model(x), with "
                        "a gradient; it returned one that does not require grad"
                    )
                grads = (
                    torch.autograd.grad(
                        loss, list(params.values()), allow_unused=True
                    )
                    if params
                    else []
                )
                grad_of = dict(zip(params, grads))
                for name, layer in chosen.items():
                    found = [grad_of.get(id(p)) for p in layer.parameters()]
                    grad_norms[name] = _norm(
                        [g for g in found if g is not None], device
                    )
                loss_value = float(loss.detach())
    finally:
        for handle in handles:
            handle.remove()
        with torch.no_grad():
            for name, buffer in model.named_buffers():
                buffer.copy_(buffers[name])
    rows = []
    for name, layer in chosen.items():
        activation = activations.get(
            name, torch.full((3,), math.nan, device=device)
        )
        weight_norm = _norm(list(layer.parameters()), device)
        rows.append(
            torch.cat(
                [activation, torch.stack([grad_norms[name], weight_norm, nan])]
            )
        )
    values = torch.stack(rows).cpu().double().numpy()
    frame = pd.DataFrame(values, columns=list(STATS))
    frame.insert(0, "layer", list(chosen))
    frame.attrs["loss"] = loss_value
    return frame
