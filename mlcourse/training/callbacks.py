"""The epoch loop shared by both fits, and the callbacks it calls.

:func:`run_epochs` is the outer loop of :func:`mlcourse.training.fit_torch`
and :func:`mlcourse.training.fit_tf`: it asks the framework for one training
epoch and one validation pass, records them in a
:class:`~mlcourse.training.history.History`, shows progress and calls the
callbacks. What differs between the frameworks (the step itself, copying and
saving weights) lives in a :class:`TrainingRun` subclass in ``torch_loop.py``
and ``tf_loop.py``.

A callback sees that run: ``run.model``, ``run.history``, ``run.epoch``,
``run.get_weights()``, ``run.set_weights(weights)``, ``run.save(path)``, and
sets ``run.stop_training = True`` to end training after the current epoch.
Imports no framework.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlcourse.training.history import (
    History,
    ProgressBar,
    check_metrics,
    check_mode,
    improved,
)
from mlcourse.validation import (
    check_bool,
    check_int,
    check_number,
    check_path,
    check_sequence,
    check_type,
)


@dataclass
class Totals:
    """What one pass over the data adds up: batch mean losses, sizes, metric sums.

    `losses` and `sizes` hold one entry per batch; `grad_norms`, where the
    fit checks them, one per training step.
    """

    losses: list[float]
    sizes: list[int]
    metric_sums: dict[str, float]
    grad_norms: list[float] | None = None

    def __post_init__(self) -> None:
        check_type("losses", self.losses, list)
        check_type("sizes", self.sizes, list)
        check_type("metric_sums", self.metric_sums, dict, "a dict of names to sums")
        if len(self.losses) != len(self.sizes):
            raise ValueError(
                f"losses and sizes must have one entry per batch, "
                f"got {len(self.losses)} and {len(self.sizes)}"
            )
        if self.grad_norms is not None:
            check_type("grad_norms", self.grad_norms, list)

    def logs(self, prefix: str) -> dict[str, float]:
        """Per-example means, named ``<prefix>loss``, ``<prefix>accuracy``..."""
        check_type("prefix", prefix, str)
        n = sum(self.sizes)
        if n <= 0:
            raise ValueError("these totals count no examples: there is no mean")
        logs = {
            f"{prefix}loss": math.fsum(
                loss * size for loss, size in zip(self.losses, self.sizes)
            )
            / n
        }
        logs.update(
            {
                f"{prefix}{name}": total / n
                for name, total in self.metric_sums.items()
            }
        )
        return logs


class TrainingRun:
    """The state of one call to a fit, as the callbacks see it.

    The framework-specific parts are abstract methods, which the PyTorch and
    TensorFlow loops implement. `metric_names` are names from
    :data:`~mlcourse.training.history.METRICS`.
    """

    def __init__(
        self, model: Any, metric_names: tuple[str, ...], has_validation: bool
    ):
        metric_names = check_metrics(metric_names)
        has_validation = check_bool("has_validation", has_validation)
        self.model = model
        self.history = History()
        self.epoch = 0
        self.stop_training = False
        # set by the framework when the data has a length
        self.steps_per_epoch: int | None = None
        # The names each epoch's logs will hold, known before training starts.
        self.log_names = ["train_loss", *(f"train_{m}" for m in metric_names)]
        if has_validation:
            self.log_names += ["val_loss", *(f"val_{m}" for m in metric_names)]

    # --- implemented per framework ---------------------------------------------
    def train_epoch(self, progress: ProgressBar) -> Totals:
        """Run one epoch of training (``progress.update`` after each step)."""
        raise NotImplementedError

    def validate(self) -> Totals | None:
        """Evaluate on the validation data (``None`` when there is none)."""
        raise NotImplementedError

    def get_weights(self) -> Any:
        """A copy of the model's weights (parameters and buffers: batch norm's)."""
        raise NotImplementedError

    def set_weights(self, weights: Any) -> None:
        """Put weights from :meth:`get_weights` back into the model."""
        raise NotImplementedError

    def save(self, path: str | os.PathLike) -> None:
        """Write the model's weights to `path` in the framework's format."""
        raise NotImplementedError


class Callback:
    """Hooks called by the fits. Subclass and override the ones you need."""

    def on_train_begin(self, run: TrainingRun) -> None:
        """Before the first epoch."""

    def on_epoch_begin(self, run: TrainingRun, epoch: int) -> None:
        """Before each epoch (counted from 1)."""

    def on_epoch_end(
        self, run: TrainingRun, epoch: int, logs: dict[str, float]
    ) -> None:
        """After each epoch's training and validation; `logs`: names to values."""

    def on_train_end(self, run: TrainingRun) -> None:
        """After the last epoch (not called when training fails with an error)."""


def _check_monitor(owner: str, monitor: str, run: TrainingRun) -> None:
    if monitor not in run.log_names:
        hint = (
            " (pass validation data to the fit)"
            if monitor.startswith("val_")
            else ""
        )
        raise ValueError(
            f"{owner} monitors {monitor!r}, which this fit does not compute"
            f"{hint}; it logs {', '.join(run.log_names)}"
        )


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by `min_delta` for `patience` epochs.

    `monitor` is a logged name (``"val_loss"``, ``"train_accuracy"``...);
    `mode` is ``"min"``, ``"max"`` or ``"auto"`` (losses go down, accuracies
    up); `min_delta` is a finite number >= 0. With `restore_best`, the
    weights of the best epoch are put back into the model when training ends,
    whether it stopped early or ran all its epochs. After training,
    ``best_epoch``, ``best_value`` and ``stopped_epoch`` (``None`` when it
    never stopped) say what happened. See Prechelt (1998),
    "Early stopping - but when?".
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        *,
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best: bool = True,
    ):
        self.monitor = check_type("monitor", monitor, str, "a logged metric's name")
        self.patience = check_int("patience", patience, low=0)
        self.min_delta = check_number("min_delta", min_delta, low=0)
        self.mode = check_mode(mode, monitor)
        self.restore_best = check_bool("restore_best", restore_best)
        self._reset()

    def _reset(self) -> None:
        self.best_epoch: int | None = None
        self.best_value: float | None = None
        self.stopped_epoch: int | None = None
        self.wait = 0
        self._best_weights = None

    def on_train_begin(self, run: TrainingRun) -> None:
        _check_monitor("EarlyStopping", self.monitor, run)
        self._reset()

    def on_epoch_end(
        self, run: TrainingRun, epoch: int, logs: dict[str, float]
    ) -> None:
        value = logs[self.monitor]
        if improved(value, self.best_value, self.mode, self.min_delta):
            self.best_epoch, self.best_value, self.wait = epoch, value, 0
            if self.restore_best:
                self._best_weights = run.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            run.stop_training = True

    def on_train_end(self, run: TrainingRun) -> None:
        if self.restore_best and self._best_weights is not None:
            run.set_weights(self._best_weights)

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
            f"best_epoch={self.best_epoch}, stopped_epoch={self.stopped_epoch})"
        )


class Checkpoint(Callback):
    """Save the model's weights after each epoch where `monitor` improved.

    With ``save_best_only=False``, after every epoch. `path` (a str or Path)
    may contain ``{epoch}``, filled in with the epoch number, to keep one file
    per save. PyTorch writes a ``state_dict`` (``torch.save``); Keras
    needs a name ending in ``.weights.h5`` (weights) or ``.keras`` (the whole
    model). ``saved`` lists ``(epoch, path)`` for every file written.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        monitor: str = "val_loss",
        mode: str = "auto",
        save_best_only: bool = True,
    ):
        self.path = str(check_path("path", path))
        try:
            self.path.format(epoch=1)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                f"path may contain {{epoch}} and no other {{...}} field, "
                f"got {self.path!r} ({type(error).__name__}: {error})"
            ) from None
        self.monitor = check_type("monitor", monitor, str, "a logged metric's name")
        self.save_best_only = check_bool("save_best_only", save_best_only)
        self.mode = check_mode(mode, monitor)
        self.best_value: float | None = None
        self.saved: list[tuple[int, str]] = []

    def on_train_begin(self, run: TrainingRun) -> None:
        if self.save_best_only:
            _check_monitor("Checkpoint", self.monitor, run)
        self.best_value, self.saved = None, []

    def on_epoch_end(
        self, run: TrainingRun, epoch: int, logs: dict[str, float]
    ) -> None:
        if self.save_best_only:
            if not improved(logs[self.monitor], self.best_value, self.mode):
                return
            self.best_value = logs[self.monitor]
        path = self.path.format(epoch=epoch)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        run.save(path)
        self.saved.append((epoch, path))


def check_callbacks(callbacks) -> list[Callback]:
    """The callbacks of a fit as a list, each checked to be a :class:`Callback`.

    A single callback not in a list is refused with a hint.
    """
    if isinstance(callbacks, Callback):
        raise TypeError(
            f"callbacks must be a list of Callback objects; "
            f"wrap the single one in a list: [{type(callbacks).__name__}(...)]"
        )
    return list(
        check_sequence("callbacks", callbacks, of=Callback, what="Callback objects")
    )


def first_non_finite(losses: list[float]) -> int | None:
    """The index of the first NaN or infinite value in `losses`, or ``None``."""
    for index, loss in enumerate(check_sequence("losses", losses, what="numbers")):
        if not math.isfinite(
            check_number(f"losses[{index}]", loss, allow_inf=True, allow_nan=True)
        ):
            return index
    return None


def check_finite(train: Totals, epoch: int) -> None:
    """Raise ``FloatingPointError`` at the first step with a NaN or infinite loss.

    Or gradient norm, where `train` has them; the message names `epoch` and
    the step (from 1).
    """
    check_type("train", train, Totals)
    epoch = check_int("epoch", epoch, low=1)
    bad_loss = first_non_finite(train.losses)
    bad_grad = first_non_finite(train.grad_norms or [])
    if bad_grad is not None and (bad_loss is None or bad_grad < bad_loss):
        raise FloatingPointError(
            f"gradients became {train.grad_norms[bad_grad]} at epoch {epoch}, "
            f"step {bad_grad + 1}, while the loss was still finite "
            f"({train.losses[bad_grad]:.4g})"
        )
    if bad_loss is not None:
        raise FloatingPointError(
            f"loss became {train.losses[bad_loss]} at epoch {epoch}, "
            f"step {bad_loss + 1}"
        )


def run_epochs(
    run: TrainingRun, epochs: int, callbacks: list[Callback], progress: ProgressBar
) -> History:
    """The outer loop of both fits: epochs of training and validation, callbacks.

    Each epoch's logs go to ``run.history``, which is returned.
    """
    check_type("run", run, TrainingRun)
    epochs = check_int("epochs", epochs, low=1)
    callbacks = check_callbacks(callbacks)
    check_type("progress", progress, ProgressBar)
    for callback in callbacks:
        callback.on_train_begin(run)
    for epoch in range(1, epochs + 1):
        run.epoch = epoch
        for callback in callbacks:
            callback.on_epoch_begin(run, epoch)
        start = time.perf_counter()
        progress.start_epoch(epoch, run.steps_per_epoch)
        train = run.train_epoch(progress)
        if not train.losses:
            raise ValueError(
                f"the training data gave no batches in epoch {epoch}: is it empty?"
            )
        check_finite(train, epoch)
        logs = train.logs("train_")
        val = run.validate()
        if val is not None:
            if not val.losses:
                raise ValueError(
                    "the validation data gave no batches: is it empty?"
                )
            logs.update(val.logs("val_"))
            if not math.isfinite(logs["val_loss"]):
                raise FloatingPointError(
                    f"validation loss became {logs['val_loss']} after epoch {epoch}"
                )
        seconds = time.perf_counter() - start
        run.history.append(epoch, logs, train.losses, seconds)
        progress.end_epoch(logs, seconds)
        for callback in callbacks:
            callback.on_epoch_end(run, epoch, logs)
        if run.stop_training:
            progress.note(f"stopped after epoch {epoch}")
            break
    for callback in callbacks:
        callback.on_train_end(run)
    return run.history
