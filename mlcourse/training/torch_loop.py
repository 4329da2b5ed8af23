"""The book's PyTorch training loop: :func:`fit_torch` and :func:`evaluate_torch`.

The loop is the one every PyTorch tutorial writes (forward, loss, backward,
step), plus what a real run needs: per-epoch metrics and validation, a
:class:`~mlcourse.training.history.History`, callbacks (early stopping,
checkpoints), a progress line, and a clear error when the loss becomes NaN.
Its TensorFlow twin is :mod:`mlcourse.training.tf_loop`; the chapter "PyTorch
and TensorFlow side by side" shows that both give the same loss curve from the
same weights.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from mlcourse.data import Dataset
from mlcourse.training.callbacks import (
    Callback,
    Totals,
    TrainingRun,
    check_callbacks,
    first_non_finite,
    run_epochs,
)
from mlcourse.training.history import (
    History,
    ProgressBar,
    check_metrics,
    progress_enabled,
)
from mlcourse.validation import (
    check_callable,
    check_int,
    check_torch_device,
    check_type,
    describe,
)


def _accuracy_sum(outputs, targets):
    """Correct predictions in a batch: argmax of the logits, or logit > 0."""
    if outputs.ndim == targets.ndim + 1:
        predicted = outputs.argmax(dim=-1)
    elif outputs.shape == targets.shape:
        predicted = (outputs > 0).to(targets.dtype)
    else:
        raise ValueError(
            "accuracy needs outputs of shape (n, classes) for labels (n,), or "
            f"equal shapes for binary logits; got outputs {tuple(outputs.shape)} "
            f"and targets {tuple(targets.shape)}"
        )
    return (predicted == targets).sum()


def _mae_sum(outputs, targets):
    """Absolute error of a batch, averaged per example and summed over examples."""
    if outputs.shape != targets.shape:
        raise ValueError(
            "mae needs outputs and targets of the same shape (no broadcasting); "
            f"got {tuple(outputs.shape)} and {tuple(targets.shape)}"
        )
    return (outputs - targets).abs().reshape(len(outputs), -1).mean(dim=1).sum()


METRIC_SUMS: dict[str, Callable] = {"accuracy": _accuracy_sum, "mae": _mae_sum}


def _model_device(model):
    import torch

    first = next(iter(model.parameters()), None)
    return first.device if first is not None else torch.device("cpu")


def _check_loader(name: str, loader: Any) -> Iterable:
    """`loader`, checked to be an iterable of batches (not a data set, a tensor)."""
    import torch

    if isinstance(loader, Dataset):
        raise TypeError(
            f"{name} must give batches, got an mlcourse Dataset: "
            "wrap it with mc.torch_loader(data, batch_size)"
        )
    if isinstance(loader, (str, np.ndarray, torch.Tensor)) or not isinstance(
        loader, Iterable
    ):
        raise TypeError(
            f"{name} must be an iterable of (inputs, targets) batches, such as "
            f"a DataLoader; got {describe(loader)}"
        )
    return loader


def _batches(loader: Iterable, name: str) -> Iterator[tuple[int, Any, Any]]:
    """``(step, x, y)`` for each batch of `loader` (steps from 1), each checked."""
    import torch

    for step, batch in enumerate(loader, start=1):
        try:
            x, y = batch
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must yield (inputs, targets) pairs; "
                f"batch {step} is {describe(batch)}"
            ) from None
        if not (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)):
            raise TypeError(
                f"{name} must yield pairs of tensors; batch {step} holds "
                f"{describe(x)} and {describe(y)}"
            )
        yield step, x, y


def _check_batch(x, y, epoch: int | None, step: int) -> None:
    if len(x) != len(y):
        where = (
            f"epoch {epoch}, step {step}" if epoch is not None else f"batch {step}"
        )
        raise ValueError(
            f"{where}: the batch has {len(x)} inputs but {len(y)} targets"
        )


def _check_loss(loss) -> None:
    """Raise unless `loss` is a tensor holding one number."""
    import torch

    if not isinstance(loss, torch.Tensor):
        raise TypeError(
            f"loss_fn must return a tensor (the batch mean), got {describe(loss)}"
        )
    if loss.ndim != 0:
        raise ValueError(
            "loss_fn must return one number (the batch mean), got a tensor of "
            f"shape {tuple(loss.shape)}; use reduction='mean'"
        )


def _check_model(model) -> None:
    import torch

    check_type("model", model, torch.nn.Module, "a torch.nn.Module")


def _sum_up(losses: list, sizes: list[int], values: dict[str, list]) -> Totals:
    """Move an epoch's per-batch numbers to the host in one transfer (one sync)."""
    import torch

    if not losses:
        return Totals([], [], {})
    parts = [torch.stack(losses).double()]
    parts += [
        torch.stack(batch_sums).double().sum().reshape(1)
        for batch_sums in values.values()
    ]
    numbers = torch.cat(parts).tolist()
    n_steps = len(losses)
    return Totals(numbers[:n_steps], sizes, dict(zip(values, numbers[n_steps:])))


def _evaluate(model, loader, loss_fn, metrics, device) -> Totals:
    import torch

    was_training = model.training
    model.eval()
    losses, sizes, values = [], [], {name: [] for name in metrics}
    try:
        with torch.no_grad():
            for step, x, y in _batches(loader, "loader"):
                x, y = x.to(device), y.to(device)
                _check_batch(x, y, None, step)
                outputs = model(x)
                loss = loss_fn(outputs, y)
                _check_loss(loss)
                losses.append(loss)
                sizes.append(len(y))
                for name, batch_sums in values.items():
                    batch_sums.append(METRIC_SUMS[name](outputs, y))
    finally:
        model.train(was_training)
    return _sum_up(losses, sizes, values)


def evaluate_torch(
    model,
    loader: Iterable,
    *,
    loss_fn: Callable,
    metrics: Sequence[str] = ("accuracy",),
    device: Any = None,
) -> dict[str, float]:
    """Loss and metrics of `model` over `loader`, per example, in eval mode.

    Returns e.g. ``{"loss": 0.31, "accuracy": 0.92}``. The model is put in
    ``eval()`` mode (dropout off, batch norm uses its running statistics) and
    back into the mode it was in. `device` defaults to the model's. Checks its
    arguments as :func:`fit_torch` does, and raises ``FloatingPointError``
    naming the first batch whose loss is NaN or infinite.
    """
    _check_model(model)
    loader = _check_loader("loader", loader)
    check_callable("loss_fn", loss_fn, "a loss function (outputs, targets) -> loss")
    metrics = check_metrics(metrics)
    device = (
        _model_device(model)
        if device is None
        else check_torch_device("device", device)
    )
    totals = _evaluate(model, loader, loss_fn, metrics, device)
    if not totals.losses:
        raise ValueError("the data gave no batches: is it empty?")
    bad = first_non_finite(totals.losses)
    if bad is not None:
        raise FloatingPointError(
            f"loss became {totals.losses[bad]} at batch {bad + 1}"
        )
    return totals.logs("")


class _TorchRun(TrainingRun):
    """One call to :func:`fit_torch`: the training step and the weights."""

    def __init__(
        self, model, train_loader, val_loader, loss_fn, optimizer, metrics, device
    ):
        super().__init__(model, metrics, has_validation=val_loader is not None)
        self.train_loader, self.val_loader = train_loader, val_loader
        self.loss_fn, self.optimizer, self.metrics, self.device = (
            loss_fn,
            optimizer,
            metrics,
            device,
        )
        try:
            self.steps_per_epoch = len(train_loader)
        except TypeError:  # a generator or an iterable without a length
            self.steps_per_epoch = None

    def train_epoch(self, progress: ProgressBar) -> Totals:
        model, loss_fn, optimizer, device = (
            self.model,
            self.loss_fn,
            self.optimizer,
            self.device,
        )
        model.train()
        losses, sizes, values = [], [], {name: [] for name in self.metrics}
        for step, x, y in _batches(self.train_loader, "train_loader"):
            x, y = x.to(device), y.to(device)
            n = x.shape[0]  # (cheaper than len(x), and this runs every step)
            if n != y.shape[0]:
                _check_batch(x, y, self.epoch, step)  # raises, naming the step
            outputs = model(x)
            loss = loss_fn(outputs, y)
            if getattr(loss, "ndim", None) != 0:
                _check_loss(loss)  # raises: not a tensor of one number
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss = loss.detach()
            losses.append(loss)
            sizes.append(n)
            if values:
                outputs = outputs.detach()
                for name, batch_sums in values.items():
                    batch_sums.append(METRIC_SUMS[name](outputs, y))
            progress.update(step, loss)
        return _sum_up(losses, sizes, values)

    def validate(self) -> Totals | None:
        if self.val_loader is None:
            return None
        return _evaluate(
            self.model, self.val_loader, self.loss_fn, self.metrics, self.device
        )

    def get_weights(self) -> dict:
        return {
            name: value.detach().clone()
            for name, value in self.model.state_dict().items()
        }

    def set_weights(self, weights: dict) -> None:
        self.model.load_state_dict(weights)

    def save(self, path: str | os.PathLike) -> None:
        import torch

        torch.save(self.model.state_dict(), path)


def fit_torch(
    model,
    train_loader: Iterable,
    *,
    loss_fn: Callable,
    optimizer,
    epochs: int,
    val_loader: Iterable | None = None,
    metrics: Sequence[str] = ("accuracy",),
    callbacks: Sequence[Callback] = (),
    device: Any = None,
    progress: bool | None = None,
) -> History:
    """Train a PyTorch `model` for `epochs` passes over `train_loader`.

    Returns the :class:`~mlcourse.training.history.History`.

    Each step: ``outputs = model(x)``, ``loss = loss_fn(outputs, y)`` (PyTorch's
    argument order; the loss must be the batch *mean*), ``zero_grad``,
    ``backward``, ``optimizer.step()``. After each epoch the history gets
    ``train_loss`` and ``train_<metric>`` (averaged over the epoch's examples
    as the weights change, like Keras), and with `val_loader` also
    ``val_loss`` and ``val_<metric>`` (in ``eval()`` mode, at the epoch's end).
    ``history.step_losses`` keeps every step's loss.

    `metrics` are names from :data:`mlcourse.training.history.METRICS`
    (``"accuracy"``: outputs are logits; ``"mae"``). `callbacks` are
    :class:`~mlcourse.training.callbacks.Callback` objects such as
    :class:`~mlcourse.training.callbacks.EarlyStopping` and
    :class:`~mlcourse.training.callbacks.Checkpoint`. Batches are moved to
    `device`, by default the model's. `progress` shows a progress line
    (default: only in a notebook, see
    :func:`~mlcourse.training.history.progress_enabled`).

    Raises ``FloatingPointError`` naming the epoch and step where the loss
    first became NaN or infinite (checked once per epoch, so no step waits for
    the device), and ``ValueError`` for an empty data set, a batch whose inputs
    and targets differ in number, or an unknown metric.
    """
    import torch

    _check_model(model)
    train_loader = _check_loader("train_loader", train_loader)
    if val_loader is not None:
        val_loader = _check_loader("val_loader", val_loader)
    check_callable("loss_fn", loss_fn, "a loss function (outputs, targets) -> loss")
    check_type(
        "optimizer", optimizer, torch.optim.Optimizer, "a torch.optim optimizer"
    )
    model_params = {id(p) for p in model.parameters()}
    optimized = [p for group in optimizer.param_groups for p in group["params"]]
    if not any(id(p) in model_params for p in optimized):
        raise ValueError(
            "the optimizer updates none of the model's parameters; "
            "create it from this model's .parameters()"
        )
    epochs = check_int("epochs", epochs, low=1)
    metrics = check_metrics(metrics)
    callbacks = check_callbacks(callbacks)
    device = (
        _model_device(model)
        if device is None
        else check_torch_device("device", device)
    )
    run = _TorchRun(
        model, train_loader, val_loader, loss_fn, optimizer, metrics, device
    )
    progress_bar = ProgressBar(epochs, progress_enabled(progress))
    return run_epochs(run, epochs, callbacks, progress_bar)
