"""Argument checks for the public functions of mlcourse: one way, one kind of message.

Every public function validates its arguments at the boundary with these
helpers, so a bad call fails at once with a message that names the argument,
shows the value and says what was expected::

    lr = check_number("lr", lr, low=0, low_open=True)     # a positive finite number
    epochs = check_int("epochs", epochs, low=1)
    mode = check_choice("mode", mode, ("min", "max"))

NaN never passes a range check (``nan < 0`` is false, so a check written
``if x < 0: raise`` lets it through; these are written the other way round).
Imports no framework.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Collection, Iterable
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "check_array",
    "check_bool",
    "check_callable",
    "check_choice",
    "check_int",
    "check_number",
    "check_path",
    "check_type",
    "describe",
]


def describe(value: Any) -> str:
    """A short description of `value` for an error message: its repr, or its type and shape."""
    shape = getattr(value, "shape", None)
    if shape is not None and len(tuple(shape)) > 0:
        dtype = getattr(value, "dtype", "")
        return f"a {type(value).__name__} of shape {tuple(shape)} {dtype}".rstrip()
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _interval(low, high, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}"
    return "finite"


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
) -> float:
    """`value` as a float, checked to be a real number in the given range.

    Rejects booleans, strings, arrays, NaN, and infinities (unless `allow_inf`,
    and then only where the range allows them). `low`/`high` bound the value;
    `low_open`/`high_open` exclude the bound itself.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (Real, np.floating, np.integer)
    ):
        raise TypeError(f"{name} must be a real number, got {describe(value)}")
    number = float(value)
    inside = not math.isnan(number) and (allow_inf or math.isfinite(number))
    if inside and low is not None:
        inside = number > low if low_open else number >= low
    if inside and high is not None:
        inside = number < high if high_open else number <= high
    if not inside:
        expected = _interval(low, high, low_open, high_open)
        finite = "" if allow_inf or expected == "finite" else " and finite"
        raise ValueError(f"{name} must be {expected}{finite}, got {number!r}")
    return number


def check_int(
    name: str, value: Any, *, low: int | None = None, high: int | None = None
) -> int:
    """`value` as an int, checked to be an integer (not a bool, not a float) in ``[low, high]``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (Integral, np.integer)
    ):
        raise TypeError(f"{name} must be an integer, got {describe(value)}")
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(
            f"{name} must be an integer {_interval(low, high, False, False)}, got {number}"
        )
    return number


def check_bool(name: str, value: Any) -> bool:
    """`value`, checked to be ``True`` or ``False`` (a string such as ``'no'`` is refused)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


def check_choice(name: str, value: Any, choices: Collection[Any]) -> Any:
    """`value`, checked to be one of `choices`."""
    try:
        known = value in choices
    except TypeError:  # unhashable value against a set or dict
        known = False
    if not known:
        listed = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"unknown {name} {describe(value)}; choose from {listed}")
    return value


def check_callable(name: str, value: Any, what: str = "a function") -> Callable:
    """`value`, checked to be callable; `what` says what kind of callable is expected."""
    if not callable(value):
        raise TypeError(f"{name} must be {what}, got {describe(value)}")
    return value


def check_type(
    name: str, value: Any, types: type | tuple[type, ...], what: str | None = None
) -> Any:
    """`value`, checked to be an instance of `types`; `what` describes them in the message."""
    if not isinstance(value, types):
        if what is None:
            names = types if isinstance(types, tuple) else (types,)
            what = " or ".join(t.__name__ for t in names)
        raise TypeError(f"{name} must be {what}, got {describe(value)}")
    return value


def check_path(name: str, value: Any) -> Path:
    """`value` as a :class:`~pathlib.Path`, checked to be a non-empty string or path."""
    if not isinstance(value, (str, os.PathLike)) or str(value) == "":
        raise TypeError(
            f"{name} must be a file path (a non-empty str or Path), got {describe(value)}"
        )
    return Path(value)


def check_array(
    name: str,
    value: Any,
    *,
    ndim: int | Iterable[int] | None = None,
    shape: tuple[int | None, ...] | None = None,
    kind: str | None = None,
    finite: bool = True,
    non_empty: bool = False,
) -> np.ndarray:
    """`value` as a NumPy array, checked for rank, shape, kind of number and finiteness.

    `ndim` is a rank or several allowed ranks; `shape` may hold ``None`` for
    any size along an axis; `kind` is a string of NumPy kind codes (``"f"``
    floating, ``"iu"`` integer, ``"fiu"`` real). With `finite`, NaN and
    infinities are refused (floating arrays only).
    """
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:  # ragged nested lists
        raise TypeError(
            f"{name} must be an array of numbers, got {describe(value)}: {error}"
        ) from None
    if array.dtype.kind not in "biuf" or (
        kind is not None and array.dtype.kind not in kind
    ):
        expected = {"f": "floating-point", "iu": "integer", "fiu": "real"}.get(
            kind or "fiu", f"kind {kind!r}"
        )
        raise TypeError(
            f"{name} must be an array of {expected} numbers, got dtype {array.dtype}"
        )
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in allowed:
            ranks = " or ".join(str(r) for r in allowed)
            raise ValueError(
                f"{name} must have {ranks} dimension(s), got shape {array.shape}"
            )
    if shape is not None:
        if array.ndim != len(shape) or any(
            expected is not None and size != expected
            for size, expected in zip(array.shape, shape)
        ):
            wanted = (
                "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            )
            raise ValueError(f"{name} must have shape {wanted}, got {array.shape}")
    if non_empty and array.size == 0:
        raise ValueError(f"{name} is empty")
    if finite and array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        bad = int(array.size - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} holds {bad} non-finite value(s) (NaN or inf)")
    return array
