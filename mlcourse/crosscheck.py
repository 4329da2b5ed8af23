"""Assert that NumPy, PyTorch and TensorFlow compute the same numbers.

Used by every chapter that shows one computation in several frameworks::

    mc.assert_agree({"numpy": a, "torch": b, "tensorflow": c}, rtol=1e-6, atol=1e-7)

The tolerance is always stated by the caller: the chapter says why it fits
(float32 round-off, a different summation order...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from mlcourse.data import to_numpy
from mlcourse.validation import check_bool, check_number, check_type


@dataclass(frozen=True)
class Agreement:
    """The result of :func:`assert_agree`: the largest differences of each pair.

    `max_abs_diff` and `max_rel_diff` map a pair of labels to a difference.
    """

    max_abs_diff: dict[tuple[str, str], float]
    max_rel_diff: dict[tuple[str, str], float]
    rtol: float
    atol: float

    def __post_init__(self) -> None:
        for name in ("max_abs_diff", "max_rel_diff"):
            diffs = check_type(name, getattr(self, name), dict, "a dict of pairs")
            if not diffs:
                raise ValueError(f"{name} is empty: there is no pair to report")
        check_number("rtol", self.rtol, low=0)
        check_number("atol", self.atol, low=0)

    @property
    def worst_abs_diff(self) -> float:
        """The largest absolute difference over all pairs."""
        return max(self.max_abs_diff.values())

    def __str__(self) -> str:
        """One line per pair, so that it fits the page however many there are."""
        lines = [
            f"agree within rtol={self.rtol:g}, atol={self.atol:g}; largest |a - b|:"
        ]
        lines += [
            f"  {a} vs {b}: {d:.1e}" for (a, b), d in self.max_abs_diff.items()
        ]
        return "\n".join(lines)


def _describe_mismatch(
    name_a: str, a: np.ndarray, name_b: str, b: np.ndarray, close: np.ndarray
) -> str:
    diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
    diff = np.where(np.isnan(diff), np.inf, diff)  # a NaN on one side is the worst
    diff = np.where(close, -1.0, diff)  # the worst entry outside the tolerance
    where = np.unravel_index(int(np.argmax(diff)), a.shape) if a.ndim else ()
    n_bad = int(np.size(close) - np.count_nonzero(close))
    index = tuple(int(i) for i in where)
    return (
        f"{name_a} vs {name_b} differ at {n_bad} of {np.size(close)} entries; "
        f"worst at index {index}: "
        f"{name_a}={a[where].item()!r}, {name_b}={b[where].item()!r}"
    )


def assert_agree(
    values: Mapping[str, Any],
    *,
    rtol: float,
    atol: float,
    equal_nan: bool = False,
) -> Agreement:
    """Check that every pair of `values` agrees: ``|a - b| <= atol + rtol * |b|``.

    `values` maps a label (``"numpy"``, ``"torch"``...) to an array, tensor or
    number. Shapes must match exactly (no broadcasting); the comparison is
    elementwise. On failure raises an ``AssertionError`` naming each pair that
    differs, how many entries differ, and the worst one. NaN agrees with NaN
    only with `equal_nan`. Returns an :class:`Agreement` with the measured
    differences, for the chapter to quote.
    """
    check_type("values", values, Mapping, "a dict of labels to arrays")
    if len(values) < 2:
        raise ValueError(
            f"values must hold at least two arrays to compare, got {len(values)}"
        )
    rtol = check_number("rtol", rtol, low=0)
    atol = check_number("atol", atol, low=0)
    equal_nan = check_bool("equal_nan", equal_nan)
    arrays = {}
    for name, value in values.items():
        try:
            arrays[name] = to_numpy(value)
        except TypeError as error:
            raise TypeError(f"values[{name!r}]: {error}") from None
    shapes = {name: array.shape for name, array in arrays.items()}
    if len(set(shapes.values())) > 1:
        listed = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise AssertionError(f"shapes differ: {listed}")
    problems, max_abs, max_rel = [], {}, {}
    for (name_a, a), (name_b, b) in combinations(arrays.items(), 2):
        close = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
        both_finite = np.isfinite(a) & np.isfinite(b)
        diff = np.abs(a.astype(np.float64) - b.astype(np.float64))[both_finite]
        scale = np.abs(b.astype(np.float64))[both_finite]
        max_abs[(name_a, name_b)] = float(diff.max()) if diff.size else 0.0
        relative = diff / np.maximum(scale, np.finfo(float).tiny)
        max_rel[(name_a, name_b)] = float(relative.max()) if diff.size else 0.0
        if not close.all():
            problems.append(_describe_mismatch(name_a, a, name_b, b, close))
    if problems:
        raise AssertionError(
            f"values disagree beyond rtol={rtol:g}, atol={atol:g}:\n  "
            + "\n  ".join(problems)
        )
    return Agreement(max_abs, max_rel, rtol, atol)
