"""Argument checks for the public functions of mlcourse: one way, one message style.

Every public function validates its arguments at the boundary with these
helpers, so a bad call fails at once with a message that names the argument,
shows the value and says what was expected::

    lr = check_number("lr", lr, low=0, low_open=True)  # a positive finite number
    epochs = check_int("epochs", epochs, low=1)
    mode = check_choice("mode", mode, ("min", "max"))

A value of the wrong kind (a string for a number, ``None`` for an array) is a
``TypeError``; a value of the right kind outside what is allowed (a negative
rate, NaN, an unknown option, a wrong shape) is a ``ValueError``. NaN never
passes a range check (``nan < 0`` is false, so a check written
``if x < 0: raise`` lets it through; these are written the other way round).
Each helper returns the checked value, converted (a float, an int, an array,
a tuple), so a caller checks and converts in one line. Imports no framework
(:func:`check_torch_device` imports PyTorch when it is called).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "check_array",
    "check_bool",
    "check_callable",
    "check_choice",
    "check_dtype",
    "check_int",
    "check_number",
    "check_path",
    "check_sequence",
    "check_torch_device",
    "check_type",
    "describe",
]

_ARRAY_KINDS = {"f": "floating-point", "iu": "integer", "fiu": "real"}


def describe(value: Any) -> str:
    """A short description of `value` for an error message.

    Its repr (cut at 60 characters), or for an array or tensor its type, shape
    and dtype: ``a ndarray of shape (3, 2) float64``.
    """
    shape = getattr(value, "shape", None)
    if shape is not None and not isinstance(value, type):
        try:
            dims = tuple(shape)
        except TypeError:  # a shape that is not a sequence
            dims = ()
        if len(dims) > 0:
            dtype = getattr(value, "dtype", "")
            return f"a {type(value).__name__} of shape {dims} {dtype}".rstrip()
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _bound(x: float) -> str:
    """A bound as written in a message: 4294967295, 0.5, 1e-08."""
    integral = isinstance(x, (Integral, np.integer)) or float(x).is_integer()
    return str(int(x)) if integral and abs(x) < 1e16 else f"{x:g}"


def _interval(low, high, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        return f"in {left}{_bound(low)}, {_bound(high)}{right}"
    if low is not None:
        return f"{'>' if low_open else '>='} {_bound(low)}"
    if high is not None:
        return f"{'<' if high_open else '<='} {_bound(high)}"
    return "finite"


def _is_real(value: Any) -> bool:
    """Whether `value` is a real number: a Python or NumPy number, not a bool."""
    if type(value) is float or type(value) is int:  # fast: no abstract-class check
        return True
    return not isinstance(value, (bool, np.bool_)) and isinstance(
        value, (Real, np.floating, np.integer)
    )


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
    allow_nan: bool = False,
) -> float:
    """`value` as a float, checked to be a real number in the given range.

    Rejects booleans, strings, arrays, NaN (unless `allow_nan`), and
    infinities (unless `allow_inf`, and then only where the range allows
    them). `low`/`high` bound the value; `low_open`/`high_open` exclude the
    bound itself. A NaN that `allow_nan` lets through skips the range check.
    """
    if not _is_real(value):
        raise TypeError(f"{name} must be a real number, got {describe(value)}")
    number = float(value)
    if allow_nan and math.isnan(number):
        return number
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
    """`value` as an int, checked to be an integer in ``[low, high]``.

    A bool or a float (even ``2.0``) is refused: counts and sizes are integers.
    """
    if type(value) is not int and (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (Integral, np.integer))
    ):
        raise TypeError(f"{name} must be an integer, got {describe(value)}")
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        expected = _interval(low, high, False, False)
        raise ValueError(f"{name} must be an integer {expected}, got {number}")
    return number


def check_bool(name: str, value: Any) -> bool:
    """`value`, checked to be ``True`` or ``False`` (``'no'`` and ``1`` are not)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


def check_choice(name: str, value: Any, choices: Collection[Any]) -> Any:
    """`value`, checked to be one of `choices` (a ``ValueError`` lists them)."""
    try:
        known = value in choices
    except TypeError:  # unhashable value against a set or dict
        known = False
    if not known:
        listed = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"unknown {name} {describe(value)}; choose from {listed}")
    return value


def check_callable(name: str, value: Any, what: str = "a function") -> Callable:
    """`value`, checked to be callable; `what` says what kind is expected."""
    if not callable(value):
        raise TypeError(f"{name} must be {what}, got {describe(value)}")
    return value


def check_type(
    name: str, value: Any, types: type | tuple[type, ...], what: str | None = None
) -> Any:
    """`value`, checked to be an instance of `types`; `what` describes them."""
    if not isinstance(value, types):
        if what is None:
            names = types if isinstance(types, tuple) else (types,)
            what = " or ".join(t.__name__ for t in names)
        raise TypeError(f"{name} must be {what}, got {describe(value)}")
    return value


def check_path(name: str, value: Any) -> Path:
    """`value` as a :class:`~pathlib.Path`; a non-empty str or Path is expected."""
    if not isinstance(value, (str, os.PathLike)) or str(value) == "":
        raise TypeError(
            f"{name} must be a file path (a non-empty str or Path), "
            f"got {describe(value)}"
        )
    return Path(value)


def check_sequence(
    name: str,
    value: Any,
    *,
    of: type | tuple[type, ...] | None = None,
    what: str | None = None,
    non_empty: bool = False,
) -> tuple:
    """`value` as a tuple, checked to be a list, tuple or other iterable of items.

    A string, a mapping or ``None`` is refused (``"accuracy"`` where
    ``("accuracy",)`` was meant). With `of`, each item must be an instance of
    it; `what` describes the items in the message (``"Callback objects"``).
    """
    if not isinstance(value, (list, tuple)) and (
        value is None
        or isinstance(value, (str, bytes, Mapping, np.ndarray))
        or not isinstance(value, Iterable)
    ):
        items = what or "items"
        raise TypeError(
            f"{name} must be a list or tuple of {items}, got {describe(value)}"
        )
    items = tuple(value)
    if non_empty and not items:
        raise ValueError(f"{name} is empty")
    if of is not None:
        for index, item in enumerate(items):
            check_type(f"{name}[{index}]", item, of, what)
    return items


def check_dtype(name: str, value: Any, kind: str = "f") -> np.dtype:
    """`value` as a NumPy dtype, checked to be of `kind` (``"f"`` floating-point).

    `kind` is a string of NumPy kind codes, as in :func:`check_array`.
    """
    try:
        dtype = np.dtype(value)
    except TypeError:
        dtype = None
    if value is None or dtype is None or dtype.kind not in kind:
        expected = _ARRAY_KINDS.get(kind, f"kind {kind!r}")
        raise TypeError(
            f"{name} must be a {expected} dtype such as np.float32, "
            f"got {describe(value)}"
        )
    return dtype


def _expected_shape(shape: tuple[int | None, ...]) -> str:
    sizes = ", ".join("any" if size is None else str(size) for size in shape)
    return f"({sizes}{',' if len(shape) == 1 else ''})"


def check_array(
    name: str,
    value: Any,
    *,
    ndim: int | Iterable[int] | None = None,
    shape: tuple[int | None, ...] | None = None,
    kind: str | None = None,
    finite: bool = True,
    non_empty: bool = False,
    min_ndim: int | None = None,
    low: float | None = None,
    high: float | None = None,
) -> np.ndarray:
    """`value` as a NumPy array, checked for rank, shape, kind and values.

    `ndim` is a rank or several allowed ranks, `min_ndim` a smallest rank;
    `shape` may hold ``None`` for any size along an axis; `kind` is a string
    of NumPy kind codes (``"f"`` floating, ``"iu"`` integer, ``"fiu"`` real;
    by default booleans pass too). With `finite`, NaN and infinities are
    refused (floating arrays only); `low` and `high` bound every entry
    (``[low, high]``; a NaN fails them). Returns the array (not a copy when
    `value` already is one).
    """
    if value is None:
        raise TypeError(f"{name} must be an array of numbers, got None")
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:  # ragged nested lists
        raise TypeError(
            f"{name} must be an array of numbers, got {describe(value)}: {error}"
        ) from None
    if array.dtype.kind not in "biuf" or (
        kind is not None and array.dtype.kind not in kind
    ):
        expected = _ARRAY_KINDS.get(kind or "fiu", f"kind {kind!r}")
        raise TypeError(
            f"{name} must be an array of {expected} numbers, "
            f"got {describe(value)} (dtype {array.dtype})"
        )
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in allowed:
            ranks = " or ".join(str(rank) for rank in allowed)
            raise ValueError(
                f"{name} must have {ranks} dimension(s), got shape {array.shape}"
            )
    if min_ndim is not None and array.ndim < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} dimension(s), "
            f"got shape {array.shape}"
        )
    if shape is not None and (
        array.ndim != len(shape)
        or any(
            expected is not None and size != expected
            for size, expected in zip(array.shape, shape)
        )
    ):
        raise ValueError(
            f"{name} must have shape {_expected_shape(shape)}, got {array.shape}"
        )
    if non_empty and array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    if finite and array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        bad = int(array.size - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} holds {bad} non-finite value(s) (NaN or inf)")
    if low is not None or high is not None:
        inside = np.ones(array.shape, dtype=bool)
        if low is not None:
            inside &= array >= low
        if high is not None:
            inside &= array <= high
        if not inside.all():
            worst = array[~inside].flat[0].item()
            outside = int(inside.size - np.count_nonzero(inside))
            raise ValueError(
                f"{name} must have every entry {_interval(low, high, False, False)}"
                f", got {outside} outside, e.g. {worst!r}"
            )
    return array


_DEVICE = re.compile(r"(cpu|cuda|mps|xpu|meta)(:\d+)?")


def check_torch_device(name: str, value: Any) -> Any:
    """`value` as a ``torch.device``, checked to exist on this machine.

    Accepts a ``torch.device`` or a string such as ``"cpu"``, ``"cuda"`` or
    ``"cuda:1"``. Asking for CUDA where PyTorch finds no GPU (or a GPU index
    it does not have) is a ``RuntimeError`` that says so. Imports PyTorch.
    """
    import torch

    if isinstance(value, torch.device):
        device = value
    elif isinstance(value, str) and _DEVICE.fullmatch(value):
        device = torch.device(value)
    else:
        raise (ValueError if isinstance(value, str) else TypeError)(
            f"{name} must be a device such as 'cpu', 'cuda' or 'cuda:0', "
            f"got {describe(value)}"
        )
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0 or (device.index is not None and device.index >= count):
            raise RuntimeError(
                f"{name} {str(device)!r} was requested but PyTorch finds "
                f"{count} CUDA GPU(s) on this machine"
            )
    return device
