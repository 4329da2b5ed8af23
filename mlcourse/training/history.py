"""What a training run records and shows: the metric names, the history, a progress line.

Shared by :func:`mlcourse.training.fit_torch` and :func:`mlcourse.training.fit_tf`,
so both loops report the same metrics under the same names. Imports no framework.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

# Metrics a fit can compute besides the loss, and whether larger is better.
# Each is an average over examples; outputs are logits for "accuracy".
METRICS = {
    "accuracy": "max",  # class = argmax of the logits (or logit > 0 for one output per target)
    "mae": "min",  # mean absolute error, for regression
}


def check_metrics(metrics: Iterable[str]) -> tuple[str, ...]:
    """Validate metric names and return them as a tuple; unknown names are a ``ValueError``."""
    if isinstance(metrics, str):
        raise TypeError(
            f"metrics must be a sequence of names, e.g. ({metrics!r},), not a string"
        )
    names = tuple(metrics)
    for name in names:
        if name not in METRICS:
            raise ValueError(
                f"unknown metric {name!r}; choose from {', '.join(METRICS)}"
            )
    if len(set(names)) != len(names):
        raise ValueError(f"metric names repeat: {names}")
    return names


def metric_mode(name: str) -> str:
    """``"min"`` when smaller values of the logged metric `name` are better, else ``"max"``.

    Understands the logged names: ``"val_loss"``, ``"train_accuracy"``...
    """
    base = name.removeprefix("train_").removeprefix("val_")
    if base == "loss":
        return "min"
    if base in METRICS:
        return METRICS[base]
    raise ValueError(
        f"cannot tell whether {name!r} should go up or down; pass mode='min' or 'max'"
    )


def improved(
    value: float, best: float | None, mode: str, min_delta: float = 0.0
) -> bool:
    """Whether `value` beats `best` by more than `min_delta` (a NaN never improves)."""
    if mode not in ("min", "max"):
        raise ValueError(f"unknown mode {mode!r}; choose from min, max")
    if math.isnan(value):
        return False
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


class Best(NamedTuple):
    """The best epoch (counted from 1) of a metric, and the metric's value there."""

    epoch: int
    value: float


@dataclass
class History:
    """Per-epoch metrics of a run, plus every training step's loss.

    ``history.metrics`` maps ``"train_loss"``, ``"train_accuracy"``,
    ``"val_loss"``... to one value per epoch; ``history["val_loss"]`` is a
    shortcut. ``history.step_losses`` holds the loss of every training step in
    order, which is what two frameworks are compared on step for step.
    """

    epochs: list[int] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    step_losses: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)

    def append(
        self,
        epoch: int,
        logs: dict[str, float],
        step_losses: Sequence[float],
        seconds: float,
    ) -> None:
        """Record one finished epoch."""
        if self.metrics and set(logs) != set(self.metrics):
            raise ValueError(
                f"epoch {epoch} logs {sorted(logs)}, earlier epochs {sorted(self.metrics)}"
            )
        self.epochs.append(epoch)
        for name, value in logs.items():
            self.metrics.setdefault(name, []).append(float(value))
        self.step_losses.extend(float(loss) for loss in step_losses)
        self.epoch_seconds.append(float(seconds))

    def __getitem__(self, name: str) -> list[float]:
        if name not in self.metrics:
            raise KeyError(
                f"no metric {name!r} in this history; it has {', '.join(self.metrics) or 'none'}"
            )
        return self.metrics[name]

    def best(self, metric: str = "val_loss", mode: str = "auto") -> Best:
        """The epoch where `metric` was best (the first one on ties) and its value.

        `mode` is ``"min"``, ``"max"`` or ``"auto"`` (losses and errors go down,
        accuracies up).
        """
        values = self[metric]
        mode = metric_mode(metric) if mode == "auto" else mode
        best_index = None
        for index, value in enumerate(values):
            if improved(
                value, None if best_index is None else values[best_index], mode
            ):
                best_index = index
        if best_index is None:
            raise ValueError(f"every value of {metric!r} is NaN")
        return Best(self.epochs[best_index], values[best_index])

    def __repr__(self) -> str:
        last = ", ".join(
            f"{name} {values[-1]:.4g}" for name, values in self.metrics.items()
        )
        return f"History({len(self.epochs)} epochs; last: {last})"


def progress_enabled(progress: bool | None) -> bool:
    """Decide whether to show a progress line.

    ``True``/``False`` decide. ``None`` (the default of the fits) shows it only
    in a running Jupyter kernel, and never when the environment variable
    ``MLCOURSE_PROGRESS`` is ``0`` or pytest is running a test
    (``PYTEST_CURRENT_TEST`` is set).
    """
    if progress is not None:
        return bool(progress)
    if (
        os.environ.get("MLCOURSE_PROGRESS") == "0"
        or "PYTEST_CURRENT_TEST" in os.environ
    ):
        return False
    return in_notebook()


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (as opposed to a script or a terminal IPython)."""
    ipython_module = sys.modules.get(
        "IPython"
    )  # never imported here: only looked up
    if ipython_module is None:
        return False
    shell = ipython_module.get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _format_logs(logs: dict[str, float]) -> str:
    return "  ".join(f"{name} {value:.4f}" for name, value in logs.items())


class ProgressBar:
    """One line per epoch on stdout (never stderr), redrawn in place while the epoch runs.

    In a notebook the line is an updated display (no output piles up); in a
    terminal it is redrawn with a carriage return. Redraws are at most every
    `interval` seconds, so a fast loop pays nothing for them. When disabled,
    every method returns at once.
    """

    BAR_WIDTH = 20

    def __init__(self, epochs: int, enabled: bool, interval: float = 0.2):
        self.epochs, self.enabled, self.interval = epochs, enabled, interval
        self.done_lines: list[str] = []
        self._handle = None
        self._last_draw = -math.inf
        self._steps: int | None = None
        self._epoch = 0
        self._width = (
            0  # the longest line drawn so far, to blank it out in a terminal
        )
        if (
            enabled and in_notebook()
        ):  # in a notebook: one display, updated in place
            from IPython.display import display

            self._handle = display({"text/plain": ""}, raw=True, display_id=True)

    def _draw(self, line: str, final: bool = False) -> None:
        if self._handle is not None:
            self._handle.update(
                {"text/plain": "\n".join([*self.done_lines, line])}, raw=True
            )
        else:
            self._width = max(self._width, len(line))
            sys.stdout.write(
                "\r" + line.ljust(self._width) + ("\n" if final else "")
            )
            sys.stdout.flush()
            if final:
                self._width = 0  # the next line starts on a fresh row

    def start_epoch(self, epoch: int, steps: int | None) -> None:
        """Note the epoch and its number of steps (``None`` if unknown)."""
        self._epoch, self._steps, self._last_draw = epoch, steps, -math.inf

    def update(self, step: int, loss) -> None:
        """Redraw after training step `step` (from 1) when `interval` has passed.

        `loss` may be a framework tensor: it is converted (a device sync) only
        when the line is actually redrawn.
        """
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last_draw < self.interval:
            return
        self._last_draw = now
        if self._steps:
            filled = int(self.BAR_WIDTH * step / self._steps)
            bar = "#" * filled + "." * (self.BAR_WIDTH - filled)
            where = f"[{bar}] {step}/{self._steps}"
        else:
            where = f"step {step}"
        self._draw(
            f"epoch {self._epoch}/{self.epochs} {where}  loss {float(loss):.4f}"
        )

    def end_epoch(self, logs: dict[str, float], seconds: float) -> None:
        """Replace the running line by the epoch's summary."""
        if not self.enabled:
            return
        line = f"epoch {self._epoch}/{self.epochs}  {_format_logs(logs)}  ({seconds:.2f} s)"
        self._draw(line, final=True)
        self.done_lines.append(line)

    def note(self, message: str) -> None:
        """Add a line of its own (e.g. "stopped early") under the epoch lines."""
        if not self.enabled:
            return
        self.done_lines.append(message)
        if self._handle is not None:
            self._handle.update(
                {"text/plain": "\n".join(self.done_lines)}, raw=True
            )
        else:
            sys.stdout.write(message + "\n")
            sys.stdout.flush()
