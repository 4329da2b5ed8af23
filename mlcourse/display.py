"""Showing things in a notebook: glued numbers, helpers' source, caught warnings."""

from __future__ import annotations

import contextlib
import inspect
import math
import textwrap
import warnings
from collections.abc import Iterator
from typing import Any

from mlcourse.data import to_numpy
from mlcourse.validation import check_bool, check_int, check_number, describe


def show_source(obj: Any):
    """Display the source code of a function or class, highlighted, in a notebook.

    Chapters use it to show the `mlcourse` implementation they rely on, so the
    code a reader sees is exactly the code that runs.
    """
    from IPython.display import Code

    try:
        source = inspect.getsource(obj)
    except (TypeError, OSError) as error:
        reason = f" ({error})" if isinstance(error, OSError) else ""
        raise TypeError(
            "obj must be a function, class, method or module written in Python, "
            f"got {describe(obj)}{reason}"
        ) from None
    return Code(source, language="python")


# What the book's code and output boxes show without scrolling; the code is
# formatted to the same width ([tool.ruff] line-length in pyproject.toml).
PAGE_WIDTH = 84


@contextlib.contextmanager
def print_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Catch the warnings raised inside the block and print them to stdout.

    Chapters use it where a warning *is* the lesson (an overflow in ``np.exp``):
    the warning then shows in the rendered page as ordinary output, wrapped to
    the page's width (:func:`wrap`), while any unexpected stderr output still
    fails the book build. A warning repeated word for word is printed once,
    with the number of times it was raised.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
    counts: dict[str, int] = {}
    for message in caught:
        text = f"{message.category.__name__}: {message.message}"
        counts[text] = counts.get(text, 0) + 1
    for text, count in counts.items():
        print(wrap(text if count == 1 else f"{text} (raised {count} times)"))


def wrap(text: Any, width: int = PAGE_WIDTH) -> str:
    """`text` (or ``str(text)``, e.g. an exception) wrapped to `width` characters.

    Each line of the text is wrapped on its own, so a message's line breaks
    survive; continuation lines are indented by two spaces. Chapters print
    error messages with it: ``print(mc.wrap(error))`` fits the page.
    """
    width = check_int("width", width, low=20)
    lines = []
    for line in str(text).splitlines() or [""]:
        lines.append(
            textwrap.fill(
                line, width, subsequent_indent="  ", break_long_words=True
            )
            if len(line) > width
            else line
        )
    return "\n".join(lines)


def glue(name: str, value: Any, display: bool = False) -> None:
    """Store `value` under `name` for the prose to quote, like ``myst_nb.glue``.

    NumPy, PyTorch and TensorFlow scalars are turned into plain Python numbers
    first: the book formats glued numbers (``{glue:text}`name:.2f```) from
    their text, and ``np.float64(0.5)`` would not parse as a number. Other
    values (figures, arrays) are passed through unchanged; ``None`` is refused
    (a cell that forgot to return its result).
    """
    from myst_nb import glue as myst_glue

    _check_name(name)
    display = check_bool("display", display)
    if value is None:
        raise TypeError(f"value for {name!r} is None: there is nothing to glue")
    # A 0-d array, tensor or NumPy scalar becomes a plain Python number.
    if tuple(getattr(value, "shape", (None,))) == () and not isinstance(value, str):
        value = to_numpy(value).item()
    myst_glue(name, value, display=display)


def _check_name(name: Any) -> None:
    """A glue key: a non-empty string without spaces, as the {glue} role needs."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {describe(name)}")
    if not name or any(char.isspace() for char in name):
        raise ValueError(
            f"name must be a non-empty string without spaces, got {name!r}"
        )


def scientific_math(value: float, digits: int = 1) -> str:
    """`value` in scientific notation as inline math: ``$1.2 \\times 10^{-5}$``.

    `digits` is the number of digits after the mantissa's point. Numbers
    between 0.01 and 1000 are written plainly with ``digits + 1`` significant
    digits (``$0.25$``); a mantissa of exactly 1 is dropped (``$10^{-12}$``);
    NaN and infinities are written out.
    """
    value = check_number("value", value, allow_inf=True, allow_nan=True)
    digits = check_int("digits", digits, low=0, high=15)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "$-\\infty$" if value < 0 else "$\\infty$"
    if value == 0 or 1e-2 <= abs(value) < 1e3:
        return f"${value:.{digits + 1}g}$"
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    power = f"10^{{{int(exponent)}}}"
    if abs(float(mantissa)) == 1.0:
        return f"${'-' if float(mantissa) < 0 else ''}{power}$"
    return f"${mantissa} \\times {power}$"


class _ScientificNumber:
    """A number shown as inline math (text/latex), its value as plain text."""

    def __init__(self, value: float, digits: int):
        self.value, self.latex = value, scientific_math(value, digits)

    def _repr_latex_(self) -> str:
        return (
            self.latex
            if self.latex.startswith("$")
            else f"$\\mathrm{{{self.latex}}}$"
        )

    def __repr__(self) -> str:
        return repr(self.value)


def glue_sci(name: str, value: Any, digits: int = 1) -> None:
    """Glue a number to quote as math in scientific notation: ``{glue}`name```.

    ``mc.glue_sci("gap", 3.2e-7)`` then ``{glue}`gap``` in the prose shows
    3.2 × 10⁻⁷, typeset like the formulas around it (``{glue:text}`` would show
    ``3.2e-07``). See :func:`scientific_math` for the format.
    """
    from myst_nb import glue as myst_glue

    _check_name(name)
    if tuple(getattr(value, "shape", (None,))) == ():
        value = to_numpy(value).item()
    number = _ScientificNumber(value, digits)
    myst_glue(name, number, display=False)
