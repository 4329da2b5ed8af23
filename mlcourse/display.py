"""Showing things in a notebook: source code of mlcourse helpers, and caught warnings."""

from __future__ import annotations

import contextlib
import inspect
import warnings
from collections.abc import Iterator
from typing import Any

from mlcourse.data import to_numpy


def show_source(obj: Any):
    """Display the source code of a function or class, highlighted, in a notebook.

    Chapters use it to show the `mlcourse` implementation they rely on, so the
    code a reader sees is exactly the code that runs.
    """
    from IPython.display import Code

    try:
        source = inspect.getsource(obj)
    except (TypeError, OSError) as error:
        raise TypeError(f"cannot show the source of {obj!r}: {error}") from None
    return Code(source, language="python")


@contextlib.contextmanager
def print_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Catch the warnings raised inside the block and print them to stdout.

    Chapters use it where a warning *is* the lesson (an overflow in ``np.exp``):
    the warning then shows in the rendered page as ordinary output, while any
    unexpected stderr output still fails the book build.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
    for message in caught:
        print(f"{message.category.__name__}: {message.message}")


def glue(name: str, value: Any, display: bool = False) -> None:
    """Store `value` under `name` for the prose to quote, like ``myst_nb.glue``.

    NumPy, PyTorch and TensorFlow scalars are turned into plain Python numbers
    first: the book formats glued numbers (``{glue:text}`name:.2f```) from
    their text, and ``np.float64(0.5)`` would not parse as a number. Other
    values (figures, arrays) are passed through unchanged.
    """
    from myst_nb import glue as myst_glue

    if not name or not isinstance(name, str):
        raise ValueError(f"glue needs a non-empty string name, got {name!r}")
    if (
        tuple(getattr(value, "shape", (None,))) == ()
    ):  # a 0-d array, tensor or NumPy scalar
        value = to_numpy(value).item()
    myst_glue(name, value, display=display)
