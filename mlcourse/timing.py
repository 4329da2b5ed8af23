"""Wall-clock timing of a piece of code: repeated runs, the median, and GPU synchronization.

Used by the gradient-descent chapter (time per epoch, time to a target loss)
and by any later chapter that reports how long something takes::

    from mlcourse import timing
    result = timing.measure(lambda: train_one_epoch(), repeats=5, device=info.device)
    print(result)          # median 12.3 ms over 5 runs (min 11.9 ms, max 14.0 ms)
    result.median          # seconds, for mc.glue

Timings are noisy and depend on the machine and on whatever else runs on it;
the median of several runs is steadier than a single run or the mean.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEVICE_KINDS = ("cpu", "cuda")


def synchronize(device: str = "cpu") -> None:
    """Wait until the work queued on `device` is done; a no-op on the CPU.

    PyTorch runs CUDA kernels asynchronously: a clock read right after a call
    may come before the GPU has finished. ``"cuda"`` or ``"cuda:N"`` waits for
    that device (and imports PyTorch); ``"cpu"`` does nothing.
    """
    if not isinstance(device, str):
        raise TypeError(
            f"device must be a string such as 'cpu' or 'cuda', got {type(device).__name__}"
        )
    kind = device.split(":", 1)[0]
    if kind not in DEVICE_KINDS:
        raise ValueError(
            f"unknown device {device!r}; choose from {', '.join(DEVICE_KINDS)} (or 'cuda:N')"
        )
    if kind == "cuda":
        import torch

        torch.cuda.synchronize(device)


def _format_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


@dataclass(frozen=True)
class Timing:
    """The durations of repeated runs, in seconds, with their median, minimum and maximum."""

    seconds: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.seconds) == 0:
            raise ValueError("a Timing needs at least one measured duration")
        if any(s < 0 for s in self.seconds):
            raise ValueError(f"durations must be non-negative, got {self.seconds}")

    @property
    def median(self) -> float:
        return float(statistics.median(self.seconds))

    @property
    def min(self) -> float:
        return float(min(self.seconds))

    @property
    def max(self) -> float:
        return float(max(self.seconds))

    def __str__(self) -> str:
        return (
            f"median {_format_seconds(self.median)} over {len(self.seconds)} "
            f"run{'s' if len(self.seconds) != 1 else ''} "
            f"(min {_format_seconds(self.min)}, max {_format_seconds(self.max)})"
        )


def measure(
    fn: Callable[[], Any],
    *,
    repeats: int = 5,
    warmup: int = 1,
    device: str = "cpu",
) -> Timing:
    """Call ``fn()`` `warmup` times untimed, then `repeats` times, each timed with ``time.perf_counter``.

    The warm-up runs absorb one-off costs (memory allocation, caches, lazy
    initialization). On a GPU `device`, each timed run starts and ends with
    :func:`synchronize`, so the time includes the GPU's work. Returns a
    :class:`Timing`; quote its median.
    """
    if not callable(fn):
        raise TypeError(
            f"fn must be callable (a function of no arguments), got {type(fn).__name__}"
        )
    for name, value, low in (("repeats", repeats, 1), ("warmup", warmup, 0)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(
                f"{name} must be an integer, got {type(value).__name__}"
            )
        if value < low:
            raise ValueError(f"{name} must be at least {low}, got {value}")
    synchronize(device)  # also validates `device` before anything runs
    for _ in range(warmup):
        fn()
    durations = []
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        fn()
        synchronize(device)
        durations.append(time.perf_counter() - start)
    return Timing(tuple(durations))
