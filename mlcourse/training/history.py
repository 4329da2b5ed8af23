"""What a training run records and shows: metric names, history, a progress line.

Shared by :func:`mlcourse.training.fit_torch` and
:func:`mlcourse.training.fit_tf`, so both loops report the same metrics under
the same names. Imports no framework.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mlcourse.validation import (
    check_bool,
    check_choice,
    check_int,
    check_number,
    check_sequence,
    check_type,
    describe,
)

# Metrics a fit can compute besides the loss, and whether larger is better.
# Each is an average over examples. For "accuracy" the outputs are logits: the
# class is their argmax (or logit > 0 for one output per target).
METRICS = {
    "accuracy": "max",
    "mae": "min",  # mean absolute error, for regression
}
MODES = ("min", "max")


def check_metrics(metrics: Iterable[str]) -> tuple[str, ...]:
    """Metric names from :data:`METRICS`, checked, as a tuple.

    A single name (a string) is a ``TypeError``: pass ``("accuracy",)``.
    """
    if isinstance(metrics, str):
        raise TypeError(
            f"metrics must be a sequence of names, e.g. ({metrics!r},), "
            "not a string"
        )
    names = check_sequence("metrics", metrics, of=str, what="metric names")
    for name in names:
        check_choice("metric", name, METRICS)
    if len(set(names)) != len(names):
        raise ValueError(f"metrics repeat a name: {names}")
    return names


def metric_mode(name: str) -> str:
    """``"min"`` when smaller values of the logged metric `name` are better.

    ``"max"`` when larger are. Understands the logged names: ``"val_loss"``,
    ``"train_accuracy"``...
    """
    check_type("name", name, str, "a metric's name (a string)")
    base = name.removeprefix("train_").removeprefix("val_")
    if base == "loss":
        return "min"
    if base in METRICS:
        return METRICS[base]
    raise ValueError(
        f"cannot tell whether {name!r} should go up or down; "
        "pass mode='min' or 'max'"
    )


def check_mode(mode: Any, monitor: str) -> str:
    """``"min"`` or ``"max"`` for watching `monitor`.

    `mode` is one of those, or ``"auto"``: then :func:`metric_mode` decides.
    """
    check_choice("mode", mode, ("auto", *MODES))
    return metric_mode(monitor) if mode == "auto" else mode


def improved(
    value: float, best: float | None, mode: str, min_delta: float = 0.0
) -> bool:
    """Whether `value` beats `best` by more than `min_delta` (NaN never improves).

    `best` is ``None`` before the first value; `min_delta` is >= 0.
    """
    mode = check_choice("mode", mode, MODES)
    value = check_number("value", value, allow_inf=True, allow_nan=True)
    min_delta = check_number("min_delta", min_delta, low=0)
    if best is not None:
        best = check_number("best", best, allow_inf=True)
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

    def __post_init__(self) -> None:
        for name in ("epochs", "step_losses", "epoch_seconds"):
            check_type(name, getattr(self, name), list)
        check_type("metrics", self.metrics, dict, "a dict of names to lists")

    def append(
        self,
        epoch: int,
        logs: dict[str, float],
        step_losses: Sequence[float],
        seconds: float,
    ) -> None:
        """Record one finished epoch: its number, metrics, step losses, duration.

        `logs` maps metric names to numbers (NaN allowed: it is recorded);
        every epoch must log the same names.
        """
        epoch = check_int("epoch", epoch, low=1)
        check_type("logs", logs, Mapping, "a dict of metric names to numbers")
        values = {
            check_type("logs key", name, str): check_number(
                f"logs[{name!r}]", value, allow_inf=True, allow_nan=True
            )
            for name, value in logs.items()
        }
        losses = [
            check_number(f"step_losses[{i}]", loss, allow_inf=True, allow_nan=True)
            for i, loss in enumerate(check_sequence("step_losses", step_losses))
        ]
        seconds = check_number("seconds", seconds, low=0)
        if self.metrics and set(values) != set(self.metrics):
            raise ValueError(
                f"epoch {epoch} logs {sorted(values)}, "
                f"earlier epochs {sorted(self.metrics)}"
            )
        self.epochs.append(epoch)
        for name, value in values.items():
            self.metrics.setdefault(name, []).append(value)
        self.step_losses.extend(losses)
        self.epoch_seconds.append(seconds)

    def __getitem__(self, name: str) -> list[float]:
        """The per-epoch values of the metric `name` (a ``KeyError`` if absent)."""
        if not isinstance(name, str) or name not in self.metrics:
            raise KeyError(
                f"no metric {describe(name)} in this history; "
                f"it has {', '.join(self.metrics) or 'none'}"
            )
        return self.metrics[name]

    def best(self, metric: str = "val_loss", mode: str = "auto") -> Best:
        """The epoch where `metric` was best (the first one on ties) and its value.

        `mode` is ``"min"``, ``"max"`` or ``"auto"`` (losses and errors go down,
        accuracies up).
        """
        values = self[metric]
        mode = check_mode(mode, metric)
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
    (``PYTEST_CURRENT_TEST`` is set). Anything else (``'no'``, ``0``) is an
    error rather than a guess.
    """
    if progress is not None:
        return check_bool("progress", progress)
    if (
        os.environ.get("MLCOURSE_PROGRESS") == "0"
        or "PYTEST_CURRENT_TEST" in os.environ
    ):
        return False
    return in_notebook()


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (not a script, not a terminal)."""
    ipython_module = sys.modules.get("IPython")  # never imported here: looked up
    if ipython_module is None:
        return False
    shell = ipython_module.get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _format_logs(logs: dict[str, float]) -> str:
    return "  ".join(f"{name} {value:.4f}" for name, value in logs.items())


class ProgressBar:
    """One line per epoch, redrawn while the epoch runs, never on stderr.

    In a notebook the lines are one display output, updated in place (no
    output piles up); in a terminal the line is redrawn on stdout with a
    carriage return. Redraws are at most every
    `interval` seconds, so a fast loop pays nothing for them. When disabled
    (`enabled` False), every method returns at once.
    """

    BAR_WIDTH = 20

    def __init__(self, epochs: int, enabled: bool, interval: float = 0.2):
        self.epochs = check_int("epochs", epochs, low=1)
        self.enabled = check_bool("enabled", enabled)
        self.interval = check_number("interval", interval, low=0)
        self.done_lines: list[str] = []
        self._handle = None
        self._last_draw = -math.inf
        self._steps: int | None = None
        self._epoch = 0
        self._width = 0  # the longest line drawn so far, to blank it out
        if self.enabled and in_notebook():  # one display, updated in place
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
        """Note the epoch (from 1) and its number of steps (``None`` if unknown)."""
        epoch = check_int("epoch", epoch, low=1)
        steps = None if steps is None else check_int("steps", steps, low=0)
        self._epoch, self._steps, self._last_draw = epoch, steps, -math.inf

    def update(self, step: int, loss) -> None:
        """Redraw after training step `step` (from 1) when `interval` has passed.

        `loss` is a number or a one-element framework tensor: it is converted
        (a device sync) only when the line is actually redrawn.
        """
        step = check_int("step", step, low=1)
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last_draw < self.interval:
            return
        try:
            loss = float(loss)
        except (TypeError, ValueError):
            raise TypeError(
                "loss must be a number or a one-element tensor, "
                f"got {describe(loss)}"
            ) from None
        self._last_draw = now
        if self._steps:
            filled = int(self.BAR_WIDTH * step / self._steps)
            bar = "#" * filled + "." * (self.BAR_WIDTH - filled)
            where = f"[{bar}] {step}/{self._steps}"
        else:
            where = f"step {step}"
        self._draw(f"epoch {self._epoch}/{self.epochs} {where}  loss {loss:.4f}")

    def end_epoch(self, logs: dict[str, float], seconds: float) -> None:
        """Replace the running line by the epoch's summary: `logs`, `seconds`."""
        check_type("logs", logs, Mapping, "a dict of metric names to numbers")
        seconds = check_number("seconds", seconds, low=0)
        if not self.enabled:
            return
        line = (
            f"epoch {self._epoch}/{self.epochs}  {_format_logs(logs)}  "
            f"({seconds:.2f} s)"
        )
        self._draw(line, final=True)
        self.done_lines.append(line)

    def note(self, message: str) -> None:
        """Add a line of its own (e.g. "stopped early") under the epoch lines."""
        check_type("message", message, str)
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
