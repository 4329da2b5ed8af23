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

Every optimizer in :mod:`mlcourse.reference.optimizers` accepts a schedule
wherever it accepts a float learning rate. The fields of a schedule are
checked (and stored as floats and ints) when it is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlcourse.validation import (
    check_array,
    check_choice,
    check_int,
    check_number,
    check_type,
    describe,
)


def _set(schedule, name: str, value) -> None:
    """Store a checked field of a frozen schedule."""
    object.__setattr__(schedule, name, value)


class Schedule:
    """Base class: ``schedule(step)`` is the learning rate at `step`.

    `step` is a number or an array of numbers, finite and >= 0 (steps count
    updates from 0); an array gives an array of rates.
    """

    def __call__(self, step):
        steps = check_array("step", step, kind="fiu", low=0).astype(np.float64)
        values = self.rate(steps)
        return float(values) if steps.ndim == 0 else values

    def rate(self, t: np.ndarray) -> np.ndarray:
        """The learning rate at the float steps `t` (already checked to be >= 0)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Constant(Schedule):
    """``lr`` at every step."""

    lr: float

    def __post_init__(self) -> None:
        _set(self, "lr", check_number("lr", self.lr, low=0))

    def rate(self, t):
        return np.full_like(t, self.lr)


@dataclass(frozen=True)
class StepDecay(Schedule):
    """``lr · gamma ** floor(t / step_size)``: times `gamma` every `step_size`.

    ``torch.optim.lr_scheduler.StepLR(step_size, gamma)``; in Keras,
    ``ExponentialDecay(lr, step_size, gamma, staircase=True)``.
    """

    lr: float
    step_size: int
    gamma: float = 0.1

    def __post_init__(self) -> None:
        _set(self, "lr", check_number("lr", self.lr, low=0))
        _set(self, "step_size", check_int("step_size", self.step_size, low=1))
        _set(self, "gamma", check_number("gamma", self.gamma, low=0))

    def rate(self, t):
        return self.lr * self.gamma ** np.floor(t / self.step_size)


@dataclass(frozen=True)
class ExponentialDecay(Schedule):
    """``lr · gamma ** t``: times `gamma` every step (> 1 grows: a range test).

    ``torch.optim.lr_scheduler.ExponentialLR(gamma)``; in Keras,
    ``ExponentialDecay(lr, decay_steps=1, decay_rate=gamma)``.
    """

    lr: float
    gamma: float

    def __post_init__(self) -> None:
        _set(self, "lr", check_number("lr", self.lr, low=0))
        _set(self, "gamma", check_number("gamma", self.gamma, low=0, low_open=True))

    def rate(self, t):
        return self.lr * self.gamma**t


@dataclass(frozen=True)
class CosineDecay(Schedule):
    """Half a cosine from `lr` at step 0 to `min_lr` at `total_steps`, then flat.

    ``min_lr + (lr − min_lr) · (1 + cos(π t / total_steps)) / 2`` (Loshchilov
    and Hutter's SGDR without restarts). PyTorch:
    ``CosineAnnealingLR(T_max=total_steps, eta_min=min_lr)`` up to
    `total_steps` (after it, PyTorch's rises again); Keras:
    ``CosineDecay(lr, total_steps, alpha=min_lr / lr)``.
    """

    lr: float
    total_steps: int
    min_lr: float = 0.0

    def __post_init__(self) -> None:
        _set(self, "lr", check_number("lr", self.lr, low=0))
        _set(self, "total_steps", check_int("total_steps", self.total_steps, low=1))
        _set(
            self, "min_lr", check_number("min_lr", self.min_lr, low=0, high=self.lr)
        )

    def rate(self, t):
        progress = np.minimum(t, self.total_steps) / self.total_steps
        return self.min_lr + (self.lr - self.min_lr) * 0.5 * (
            1 + np.cos(np.pi * progress)
        )


@dataclass(frozen=True)
class LinearWarmup(Schedule):
    """A linear ramp over `warmup_steps`, then `after`, shifted to start there.

    During the warm-up the rate rises from ``start_factor · after(0)`` to
    ``after(0)``:
    ``after(0) · (start_factor + (1 − start_factor) · t / warmup_steps)``.
    `after` is a :class:`Schedule`, or a float for a constant rate. PyTorch:
    ``LinearLR(start_factor, total_iters=warmup_steps)``, followed by
    `after`'s scheduler through ``SequentialLR``; Keras:
    ``CosineDecay(..., warmup_target=, warmup_steps=)`` for a cosine `after`.
    """

    after: Schedule | float
    warmup_steps: int
    start_factor: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.after, Schedule):
            if callable(self.after) or isinstance(self.after, (str, type(None))):
                raise TypeError(
                    "after must be a Schedule (its .rate is used) or a number, "
                    f"got {describe(self.after)}"
                )
            _set(self, "after", Constant(check_number("after", self.after, low=0)))
        _set(
            self,
            "warmup_steps",
            check_int("warmup_steps", self.warmup_steps, low=1),
        )
        _set(
            self,
            "start_factor",
            check_number("start_factor", self.start_factor, low=0, high=1),
        )

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
    """One cycle in PyTorch's default shape: up from ``max_lr / div_factor``, down.

    Two half-cosines, as ``torch.optim.lr_scheduler.OneCycleLR`` with its
    defaults (``three_phase=False``, cosine annealing; Smith and Topin's policy
    is linear, with a third phase): the rise takes ``pct_start · total_steps``
    steps, the fall ends at step ``total_steps − 1`` at
    ``max_lr / (div_factor · final_div_factor)``, far below the start, where
    the rate stays.
    PyTorch also cycles the momentum by default; this schedule is the
    learning rate only. Keras has no one-cycle schedule.
    """

    max_lr: float
    total_steps: int
    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4

    def __post_init__(self) -> None:
        _set(self, "max_lr", check_number("max_lr", self.max_lr, low=0))
        _set(self, "total_steps", check_int("total_steps", self.total_steps, low=1))
        _set(
            self,
            "pct_start",
            check_number("pct_start", self.pct_start, low=0, high=1),
        )
        _set(self, "div_factor", check_number("div_factor", self.div_factor, low=1))
        _set(
            self,
            "final_div_factor",
            check_number("final_div_factor", self.final_div_factor, low=1),
        )
        if not 0 < self.pct_start * self.total_steps - 1 < self.total_steps - 1:
            raise ValueError(
                f"pct_start={self.pct_start} leaves no room for both phases "
                f"in total_steps={self.total_steps} steps"
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

    ``make_schedule("cosine", lr=0.1, total_steps=1000)``; the name is not
    case-sensitive.
    """
    check_type("name", name, str, "a schedule's name (a string)")
    return SCHEDULES[check_choice("schedule", name.lower(), SCHEDULES)](**kwargs)
