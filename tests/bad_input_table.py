"""The bad-input table's machinery: rows, how to add them, kinds of bad value.

:mod:`test_bad_inputs` holds the rows for mlcourse's first modules; the
``bad_input_rows_*`` modules next to it add the rows for the later ones, each
with the ``MODULES`` it covers in full (and any ``HOOKS`` or
``NOTHING_TO_REFUSE`` exemptions, with reasons). All rows go into :data:`ROWS`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from mlcourse import validation

# Messages that come from deep inside Python or a library, not from a check
# (a check may quote one after its own words: only the start counts).
OBSCURE = re.compile(
    r"(\w+'? )?(NoneType|object has no attribute|object is not|unsupported operand"
    r"|could not convert|cannot unpack|too many values|not enough values"
    r"|division by zero|math domain error|math range error|Numerical result)"
    r"|\S*\(\) (takes|got|missing)"
)

NAN, INF = math.nan, math.inf


@dataclass(frozen=True)
class Row:
    """One bad call: `call()` must raise `error` with a message matching `match`."""

    target: str  # module.qualname of the callable under test
    call: Callable[[], Any]
    error: type[BaseException]
    match: str
    label: str

    @property
    def id(self) -> str:
        return f"{self.target.removeprefix('mlcourse.')}-{self.label}"


ROWS: list[Row] = []


def qualified(obj) -> str:
    function = obj.__func__ if isinstance(obj, staticmethod) else obj
    return f"{function.__module__}.{function.__qualname__}"


def short(value: Any) -> str:
    """A label for `value` in a test id, the same in every process."""
    if callable(value) and not isinstance(value, type):
        return getattr(value, "__name__", type(value).__name__)
    text = validation.describe(value)
    # Strip memory addresses (<object object at 0x7f...>): every xdist worker
    # must collect the same test ids.
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", text)
    return text if len(text) <= 30 else text[:27] + "..."


def add(
    target, name: str, make: Callable[[Any], Any], bad, match: str | None = None
):
    """One row per ``(value, error)`` of `bad`: ``make(value)`` must raise it.

    The message must name the argument: match `name` as a word, unless
    `match` (a regex) says more.
    """
    pattern = match if match is not None else rf"(?<![\w]){re.escape(name)}(?![\w])"
    for value, error in bad:
        ROWS.append(
            Row(
                qualified(target),
                partial(make, value),
                error,
                pattern,
                f"{name}={short(value)}",
            )
        )


def one(target, label: str, call: Callable[[], Any], error, match: str):
    """A row with a call written out in full."""
    ROWS.append(Row(qualified(target), call, error, match, label))


def add_labelled(target, name: str, make, cases, match: str | None = None):
    """Like :func:`add`, for values whose description is too long for a test
    id (tensors, datasets, dicts): `cases` are ``(label, value, error)``."""
    pattern = match if match is not None else rf"(?<![\w]){re.escape(name)}(?![\w])"
    for label, value, error in cases:
        one(target, f"{name}={label}", partial(make, value), error, pattern)


def without_none(bad):
    """`bad` less the None row: for an argument where None means a default."""
    return [(value, error) for value, error in bad if value is not None]


# ---------------------------------------------------------------- kinds of bad value
NOT_A_NUMBER = [
    (None, TypeError),
    ("0.5", TypeError),
    (True, TypeError),
    ([0.5], TypeError),
    (np.ones(2), TypeError),
]
NON_FINITE = [(NAN, ValueError), (INF, ValueError), (-INF, ValueError)]
NOT_AN_INT = [
    (None, TypeError),
    ("3", TypeError),
    (2.5, TypeError),
    (3.0, TypeError),
    (True, TypeError),
    (NAN, TypeError),
]
NOT_A_BOOL = [
    (None, TypeError),
    ("no", TypeError),
    (1, TypeError),
    (0.0, TypeError),
]
NOT_A_CHOICE = [("bogus", ValueError), (None, ValueError), (3, ValueError)]
NOT_CALLABLE = [(None, TypeError), (3, TypeError), ("f", TypeError)]
NOT_A_STRING = [(None, TypeError), (3, TypeError), (["a"], TypeError)]


def numbers(low=None, high=None, *, low_open=False, high_open=False):
    """Bad values for a finite real number in the given range."""
    bad = NOT_A_NUMBER + NON_FINITE
    if low is not None:
        bad = (
            bad
            + [(low - 1.5, ValueError)]
            + ([(low, ValueError)] if low_open else [])
        )
    if high is not None:
        bad = (
            bad
            + [(high + 1.5, ValueError)]
            + ([(high, ValueError)] if high_open else [])
        )
    return bad


def integers(low=None, high=None):
    bad = list(NOT_AN_INT)
    if low is not None:
        bad.append((low - 1, ValueError))
    if high is not None:
        bad.append((high + 1, ValueError))
    return bad


def probability():
    return numbers(0, 1, low_open=True, high_open=True)
