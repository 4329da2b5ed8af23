"""Wall-clock timing of a piece of code: repeated runs, their median, GPU sync.

Used by the gradient-descent chapter (time per epoch, time to a target loss)
and by any later chapter that reports how long something takes::

    from mlcourse import timing
    result = timing.measure(lambda: train_one_epoch(), repeats=5, device="cpu")
    print(result)  # median 12.3 ms over 5 runs (min 11.9 ms, max 14.0 ms)
    result.median  # seconds, for mc.glue

Timings are noisy and depend on the machine and on whatever else runs on it;
the median of several runs is steadier than a single run or the mean.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlcourse.validation import (
    check_callable,
    check_choice,
    check_int,
    check_number,
    check_sequence,
    check_torch_device,
    check_type,
)

DEVICE_KINDS = ("cpu", "cuda")


def synchronize(device: str = "cpu") -> None:
    """Wait until the work queued on `device` is done; a no-op on the CPU.

    PyTorch runs CUDA kernels asynchronously: a clock read right after a call
    may come before the GPU has finished. ``"cuda"`` or ``"cuda:N"`` waits for
    that device (and imports PyTorch); ``"cpu"`` does nothing.
    """
    check_type("device", device, str, "a string such as 'cpu' or 'cuda'")
    kind, _, index = device.partition(":")
    if index and not index.isdigit():
        raise ValueError(
            f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}"
        )
    check_choice("device", kind, DEVICE_KINDS)
    if kind == "cuda":
        import torch

        torch.cuda.synchronize(check_torch_device("device", device))


def _format_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


@dataclass(frozen=True)
class Timing:
    """The durations of repeated runs, in seconds, with median, minimum, maximum.

    `seconds` is a sequence of finite, non-negative durations (at least one).
    """

    seconds: tuple[float, ...]

    def __post_init__(self) -> None:
        durations = check_sequence("seconds", self.seconds, what="durations")
        if not durations:
            raise ValueError(
                "seconds is empty: a Timing needs one duration or more"
            )
        durations = tuple(
            check_number(f"seconds[{i}]", s, low=0) for i, s in enumerate(durations)
        )
        object.__setattr__(self, "seconds", durations)

    @property
    def median(self) -> float:
        """The median duration, in seconds: the number to quote."""
        return float(statistics.median(self.seconds))

    @property
    def min(self) -> float:
        """The shortest duration, in seconds."""
        return float(min(self.seconds))

    @property
    def max(self) -> float:
        """The longest duration, in seconds."""
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
    """Call ``fn()`` `warmup` times untimed, then `repeats` times, timing each.

    Each timed run is measured with ``time.perf_counter``. The warm-up runs
    absorb one-off costs (memory allocation, caches, lazy initialization). On
    a GPU `device`, each timed run starts and ends with :func:`synchronize`,
    so the time includes the GPU's work. Returns a :class:`Timing`; quote its
    median.
    """
    check_callable("fn", fn, "a function of no arguments")
    repeats = check_int("repeats", repeats, low=1)
    warmup = check_int("warmup", warmup, low=0)
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
