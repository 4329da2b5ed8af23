"""Dynamic loss scaling for float16 training, with GradScaler's state.

The precision chapter derives the rule and checks it against
``torch.amp.GradScaler`` and Keras's ``LossScaleOptimizer`` step for step; the
capstone can checkpoint :meth:`DynamicLossScaler.state_dict`. PyTorch is
imported inside the methods that need it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from mlcourse.validation import (
    check_bool,
    check_int,
    check_number,
    check_type,
    describe,
)

STATE_KEYS = (
    "scale",
    "growth_factor",
    "backoff_factor",
    "growth_interval",
    "_growth_tracker",
)


# A scale is a float32: the smallest positive one (a subnormal) to the largest.
_SCALE_RANGE = dict(
    low=float(np.finfo(np.float32).smallest_subnormal),
    high=float(np.finfo(np.float32).max),
)


def _check_scale(name: str, value: Any) -> float:
    """`value` checked to be a positive float32 number (neither 0 nor inf there)."""
    return check_number(name, value, **_SCALE_RANGE)


def _float32(value: float) -> float:
    """`value` rounded to float32, as a Python float (the scale is a float32).

    Beyond float32's largest number it becomes inf, without a warning.
    """
    with np.errstate(over="ignore"):
        return float(np.float32(value))


def update_scale(
    scale: float,
    growth_tracker: int,
    found_inf: bool,
    *,
    growth_factor: float = 2.0,
    backoff_factor: float = 0.5,
    growth_interval: int = 2000,
) -> tuple[float, int]:
    """One step of dynamic loss scaling: the next ``(scale, growth_tracker)``.

    A step whose gradients held an inf or NaN (`found_inf`) multiplies the
    scale by `backoff_factor` and restarts the count of clean steps; a clean
    step adds one to the count, and the `growth_interval`-th clean step in a
    row multiplies the scale by `growth_factor` (unless that would overflow
    float32) and restarts the count. The scale is kept in float32, as
    ``torch.amp.GradScaler`` keeps it, so both give the same numbers; a
    `scale` that float32 cannot hold (0 or inf there) is refused.
    """
    scale = _check_scale("scale", scale)
    growth_tracker = check_int("growth_tracker", growth_tracker, low=0)
    found_inf = check_bool("found_inf", found_inf)
    growth_factor, backoff_factor, growth_interval = _check_factors(
        growth_factor, backoff_factor, growth_interval
    )
    if found_inf:
        return _float32(scale * backoff_factor), 0
    if growth_tracker + 1 < growth_interval:
        return scale, growth_tracker + 1
    grown = _float32(scale * growth_factor)
    return (grown if math.isfinite(grown) else scale), 0


def _check_factors(
    growth_factor: Any,
    backoff_factor: Any,
    growth_interval: Any,
    name: str = "{}",
) -> tuple[float, float, int]:
    """The three factors, checked; `name` formats each one's name in a message."""
    return (
        check_number(
            name.format("growth_factor"), growth_factor, low=1, low_open=True
        ),
        check_number(
            name.format("backoff_factor"),
            backoff_factor,
            low=0,
            high=1,
            low_open=True,
            high_open=True,
        ),
        check_int(name.format("growth_interval"), growth_interval, low=1),
    )


class DynamicLossScaler:
    """Dynamic loss scaling for float16 training, written out; GradScaler's twin.

    Multiply the loss by a large `scale` before ``backward()`` so that small
    float16 gradients do not underflow to zero; divide the gradients by it
    before the optimizer step; skip the step when a gradient overflowed (inf
    or NaN) and halve the scale; double it after `growth_interval` clean steps
    in a row (:func:`update_scale`). The methods and the :meth:`state_dict`
    are those of ``torch.amp.GradScaler``, so either can load the other's
    state; on the same gradients both give the same scales and skip the same
    steps (the precision chapter checks it step for step).

    With `min_scale`, :meth:`update` raises ``FloatingPointError`` once the
    scale falls below it: a scale that keeps halving means the gradients are
    not finite at any scale (a NaN in the data or the loss), and training has
    silently stopped. ``enabled=False`` turns every method into a pass-through
    (``step`` just calls ``optimizer.step()``), for float32 or bfloat16 runs.
    """

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        *,
        enabled: bool = True,
        min_scale: float | None = None,
    ) -> None:
        init_scale = _check_scale("init_scale", init_scale)
        self._growth_factor, self._backoff_factor, self._growth_interval = (
            _check_factors(growth_factor, backoff_factor, growth_interval)
        )
        self._enabled = check_bool("enabled", enabled)
        if min_scale is not None:  # below the scale it starts at
            min_scale = check_number(
                "min_scale", min_scale, low=0, low_open=True, high=init_scale
            )
        self._min_scale = min_scale
        self._scale = _float32(init_scale)
        self._growth_tracker = 0
        self._found_inf: dict[int, bool] = {}  # optimizer id -> this step's check
        self._stepped: set[int] = set()
        self.last_step_skipped = False

    def is_enabled(self) -> bool:
        """Whether the scaler scales (``False``: every method passes through)."""
        return self._enabled

    def get_scale(self) -> float:
        """The current scale (1.0 when disabled), a float32 value."""
        return self._scale if self._enabled else 1.0

    def scale(self, loss):
        """`loss` (a tensor) times the scale, to call ``backward()`` on."""
        import torch

        check_type("loss", loss, torch.Tensor, "a tensor")
        if not self._enabled:
            return loss
        # A float32 tensor, as GradScaler multiplies by: same dtype promotion.
        factor = torch.tensor(self._scale, dtype=torch.float32, device=loss.device)
        return loss * factor

    def unscale_(self, optimizer) -> None:
        """Divide the gradients of `optimizer`'s parameters by the scale, in place.

        Also records whether any of them is inf or NaN. Call it before
        clipping or inspecting gradients; :meth:`step` calls it otherwise.
        Once per optimizer per step.
        """
        import torch

        check_type("optimizer", optimizer, torch.optim.Optimizer, "an optimizer")
        if not self._enabled:
            return
        key = id(optimizer)
        if key in self._stepped:
            raise RuntimeError("unscale_() was called after step(); call update()")
        if key in self._found_inf:
            raise RuntimeError(
                "unscale_() was already called on this optimizer since the last "
                "update(): the gradients would be divided twice"
            )
        # 1/scale in float64, rounded to float32: exactly what GradScaler uses.
        inv_scale = torch.tensor(1.0 / self._scale, dtype=torch.float64).float()
        found_inf = False
        with torch.no_grad():
            for index, param in enumerate(_parameters(optimizer)):
                grad = param.grad
                if grad is None:
                    continue
                if grad.is_sparse:
                    raise TypeError(
                        f"optimizer: parameter {index} has a sparse gradient, "
                        "which DynamicLossScaler does not handle"
                    )
                if grad.dtype == torch.float16:
                    raise ValueError(
                        f"optimizer: parameter {index} has a float16 gradient: "
                        "unscaling it in float16 would underflow again; keep the "
                        "parameters in float32 (autocast) and let only the "
                        "compute be float16"
                    )
                found_inf |= not bool(torch.isfinite(grad).all())
                grad.mul_(inv_scale.to(grad.device))
        self._found_inf[key] = found_inf

    def step(self, optimizer, *args: Any, **kwargs: Any):
        """``optimizer.step()`` on the unscaled gradients, unless one is inf/NaN.

        Returns what ``optimizer.step`` returns (``None`` when skipped);
        :attr:`last_step_skipped` says whether it was skipped.
        """
        import torch

        check_type("optimizer", optimizer, torch.optim.Optimizer, "an optimizer")
        if not self._enabled:
            self.last_step_skipped = False
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("step(closure=...) is not supported with scaling")
        key = id(optimizer)
        if key in self._stepped:
            raise RuntimeError("step() was already called since the last update()")
        if key not in self._found_inf:
            self.unscale_(optimizer)
        self._stepped.add(key)
        self.last_step_skipped = self._found_inf[key]
        if self.last_step_skipped:
            return None
        return optimizer.step(*args, **kwargs)

    def update(self) -> None:
        """Adjust the scale after this step's :meth:`step` calls (see the class)."""
        if not self._enabled:
            return
        if not self._found_inf:
            raise RuntimeError(
                "update() needs a step first: call step(optimizer) (or "
                "unscale_(optimizer)) after backward()"
            )
        self._scale, self._growth_tracker = update_scale(
            self._scale,
            self._growth_tracker,
            any(self._found_inf.values()),
            growth_factor=self._growth_factor,
            backoff_factor=self._backoff_factor,
            growth_interval=self._growth_interval,
        )
        self._found_inf, self._stepped = {}, set()
        if self._min_scale is not None and not self._scale >= self._min_scale:
            raise FloatingPointError(
                f"the loss scale fell to {self._scale:g}, below min_scale "
                f"{self._min_scale:g}: the gradients are inf or NaN at every "
                "scale tried, so no step is being taken; look for a NaN or inf "
                "in the data, the loss or the weights"
            )

    def state_dict(self) -> dict[str, Any]:
        """The state to checkpoint, with GradScaler's keys ({} when disabled)."""
        if not self._enabled:
            return {}
        return {
            "scale": self._scale,
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._growth_tracker,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`, ours or GradScaler's; no-op if disabled."""
        check_type("state_dict", state_dict, dict, "a dict from state_dict()")
        if not self._enabled:
            return
        if not state_dict:
            raise ValueError(
                "state_dict is empty: it was saved from a disabled scaler"
            )
        missing = [key for key in STATE_KEYS if key not in state_dict]
        if missing:
            raise ValueError(
                f"state_dict lacks {', '.join(missing)}; expected the keys "
                f"{', '.join(STATE_KEYS)}, got {describe(sorted(state_dict))}"
            )
        scale = _check_scale("state_dict['scale']", state_dict["scale"])
        factors = _check_factors(
            state_dict["growth_factor"],
            state_dict["backoff_factor"],
            state_dict["growth_interval"],
            name="state_dict[{!r}]",
        )
        tracker = check_int(
            "state_dict['_growth_tracker']", state_dict["_growth_tracker"], low=0
        )
        self._scale, self._growth_tracker = _float32(scale), tracker
        self._growth_factor, self._backoff_factor, self._growth_interval = factors

    def __repr__(self) -> str:
        if not self._enabled:
            return "DynamicLossScaler(enabled=False)"
        return (
            f"DynamicLossScaler(scale={self._scale:g}, "
            f"growth_tracker={self._growth_tracker}/{self._growth_interval})"
        )


def _parameters(optimizer) -> Iterable:
    for group in optimizer.param_groups:
        yield from group["params"]
