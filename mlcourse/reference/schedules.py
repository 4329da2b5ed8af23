"""Learning-rate schedules: the learning rate as a function of the step number.

Used by the optimizers chapter (checked there against
``torch.optim.lr_scheduler`` and ``keras.optimizers.schedules``) and by any
later chapter that trains with a schedule.

A schedule is a small frozen dataclass. Calling it with a step returns that
step's learning rate; steps count optimizer updates from 0, so step ``t``
is the ``(t + 1)``-th update. A NumPy array of steps gives an array of
rates, which is handy for plotting::

    schedule = CosineDecay(lr=0.1, total_steps=1000)
    schedule(0), schedule(np.arange(1000))

Every optimizer in :mod:`mlcourse.reference.optimizers` accepts a schedule wherever
it accepts a float learning rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlcourse.reference.optimizers import _check_number


def _check_steps(step) -> np.ndarray:
    steps = np.asarray(step)
    if not np.issubdtype(steps.dtype, np.number) or np.issubdtype(
        steps.dtype, np.complexfloating
    ):
        raise TypeError(
            f"step must be a number or an array of numbers, got {steps.dtype}"
        )
    if np.any(steps < 0):
        raise ValueError(f"steps count from 0; got {steps.min()}")
    return steps.astype(np.float64)


def _check_count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return int(value)


def _output(values: np.ndarray, step) -> float | np.ndarray:
    return float(values) if np.ndim(step) == 0 else values


class Schedule:
    """Base class: ``schedule(step)`` returns the learning rate at `step` (int or array)."""

    def __call__(self, step):
        return _output(self.rate(_check_steps(step)), step)

    def rate(self, t: np.ndarray) -> np.ndarray:
        """The learning rate at the float steps `t` (already checked to be >= 0)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Constant(Schedule):
    """``lr`` at every step."""

    lr: float

    def __post_init__(self) -> None:
        _check_number("lr", self.lr, 0.0)

    def rate(self, t):
        return np.full_like(t, self.lr)


@dataclass(frozen=True)
class StepDecay(Schedule):
    """``lr · gamma ** floor(t / step_size)``: multiply by `gamma` every `step_size` steps.

    ``torch.optim.lr_scheduler.StepLR(step_size, gamma)``; in Keras,
    ``ExponentialDecay(lr, step_size, gamma, staircase=True)``.
    """

    lr: float
    step_size: int
    gamma: float = 0.1

    def __post_init__(self) -> None:
        _check_number("lr", self.lr, 0.0)
        _check_count("step_size", self.step_size)
        _check_number("gamma", self.gamma, 0.0)

    def rate(self, t):
        return self.lr * self.gamma ** np.floor(t / self.step_size)


@dataclass(frozen=True)
class ExponentialDecay(Schedule):
    """``lr · gamma ** t``: multiply by `gamma` every step (`gamma` > 1 grows, as in a range test).

    ``torch.optim.lr_scheduler.ExponentialLR(gamma)``; in Keras,
    ``ExponentialDecay(lr, decay_steps=1, decay_rate=gamma)``.
    """

    lr: float
    gamma: float

    def __post_init__(self) -> None:
        _check_number("lr", self.lr, 0.0)
        _check_number("gamma", self.gamma, 0.0)
        if self.gamma == 0:
            raise ValueError("gamma must be positive, got 0")

    def rate(self, t):
        return self.lr * self.gamma**t


@dataclass(frozen=True)
class CosineDecay(Schedule):
    """Half a cosine from `lr` at step 0 down to `min_lr` at `total_steps`, then `min_lr`.

    ``min_lr + (lr − min_lr) · (1 + cos(π t / total_steps)) / 2`` (Loshchilov
    and Hutter's SGDR without restarts). ``torch.optim.lr_scheduler.CosineAnnealingLR(T_max=total_steps,
    eta_min=min_lr)`` up to `total_steps` (after it, PyTorch's rises again);
    ``keras.optimizers.schedules.CosineDecay(lr, total_steps, alpha=min_lr / lr)``.
    """

    lr: float
    total_steps: int
    min_lr: float = 0.0

    def __post_init__(self) -> None:
        _check_number("lr", self.lr, 0.0)
        _check_count("total_steps", self.total_steps)
        _check_number("min_lr", self.min_lr, 0.0, self.lr)

    def rate(self, t):
        progress = np.minimum(t, self.total_steps) / self.total_steps
        return self.min_lr + (self.lr - self.min_lr) * 0.5 * (
            1 + np.cos(np.pi * progress)
        )


@dataclass(frozen=True)
class LinearWarmup(Schedule):
    """A linear ramp over `warmup_steps`, then `after` (shifted to start at step `warmup_steps`).

    During the warm-up the rate rises from ``start_factor · after(0)`` to
    ``after(0)``: ``after(0) · (start_factor + (1 − start_factor) · t / warmup_steps)``.
    `after` is a schedule, or a float for a constant rate. PyTorch:
    ``LinearLR(start_factor, total_iters=warmup_steps)``, followed by `after`'s
    scheduler through ``SequentialLR``; Keras: ``CosineDecay(..., warmup_target=,
    warmup_steps=)`` for a cosine `after`.
    """

    after: Schedule | float
    warmup_steps: int
    start_factor: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.after, Schedule):
            object.__setattr__(
                self, "after", Constant(_check_number("after", self.after, 0.0))
            )
        _check_count("warmup_steps", self.warmup_steps)
        _check_number("start_factor", self.start_factor, 0.0, 1.0)

    def rate(self, t):
        peak = self.after.rate(np.zeros(1))[0]
        ramp = peak * (
            self.start_factor + (1 - self.start_factor) * t / self.warmup_steps
        )
        return np.where(
            t < self.warmup_steps,
            ramp,
            self.after.rate(np.maximum(t - self.warmup_steps, 0)),
        )


@dataclass(frozen=True)
class OneCycle(Schedule):
    """Smith's one-cycle policy: up from ``max_lr / div_factor`` to `max_lr`, then far below the start.

    Two half-cosines, as ``torch.optim.lr_scheduler.OneCycleLR`` (its
    default ``three_phase=False``): the rise takes ``pct_start · total_steps``
    steps, the fall ends at step ``total_steps − 1`` at
    ``max_lr / (div_factor · final_div_factor)``, where the rate stays.
    PyTorch also cycles the momentum by default; this schedule is the
    learning rate only. Keras has no one-cycle schedule.
    """

    max_lr: float
    total_steps: int
    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4

    def __post_init__(self) -> None:
        _check_number("max_lr", self.max_lr, 0.0)
        _check_count("total_steps", self.total_steps)
        _check_number("pct_start", self.pct_start, 0.0, 1.0)
        _check_number("div_factor", self.div_factor, 1.0)
        _check_number("final_div_factor", self.final_div_factor, 1.0)
        if not 0 < self.pct_start * self.total_steps - 1 < self.total_steps - 1:
            raise ValueError(
                f"pct_start={self.pct_start} leaves no room for both phases in {self.total_steps} steps"
            )

    def rate(self, t):
        start = self.max_lr / self.div_factor
        final = start / self.final_div_factor
        peak_step = self.pct_start * self.total_steps - 1
        last = self.total_steps - 1
        up = _cosine_between(start, self.max_lr, t / peak_step)
        down = _cosine_between(
            self.max_lr,
            final,
            (np.minimum(t, last) - peak_step) / (last - peak_step),
        )
        return np.where(t <= peak_step, up, down)


def _cosine_between(start: float, end: float, fraction: np.ndarray) -> np.ndarray:
    """From `start` (fraction 0) to `end` (fraction 1) along half a cosine."""
    return end + (start - end) * 0.5 * (1 + np.cos(math.pi * fraction))


SCHEDULES: dict[str, type[Schedule]] = {
    "constant": Constant,
    "step": StepDecay,
    "exponential": ExponentialDecay,
    "cosine": CosineDecay,
    "linear_warmup": LinearWarmup,
    "one_cycle": OneCycle,
}


def make_schedule(name: str, **kwargs) -> Schedule:
    """The schedule called `name` (see :data:`SCHEDULES`), built with `kwargs`.

    ``make_schedule("cosine", lr=0.1, total_steps=1000)``.
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in SCHEDULES:
        raise ValueError(
            f"unknown schedule {name!r}; choose from {', '.join(SCHEDULES)}"
        )
    return SCHEDULES[key](**kwargs)
