"""Tests of mlcourse.validation: what each check accepts, converts and refuses.

The bad inputs of every public function are in test_bad_inputs.py; this file
checks the helpers themselves: the values they let through, what they return,
and the exact wording other modules' messages are built from.
"""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mlcourse.validation import (
    check_array,
    check_bool,
    check_callable,
    check_choice,
    check_dtype,
    check_int,
    check_number,
    check_path,
    check_sequence,
    check_torch_device,
    check_type,
    describe,
)


def test_check_number_converts_and_states_the_range():
    assert check_number("lr", np.float32(0.5), low=0) == 0.5
    assert type(check_number("lr", 3, low=0)) is float
    assert check_number("x", math.inf, low=0, allow_inf=True) == math.inf
    assert math.isnan(check_number("x", math.nan, low=0, allow_nan=True))
    with pytest.raises(ValueError, match=r"^lr must be > 0 and finite, got 0\.0$"):
        check_number("lr", 0.0, low=0, low_open=True)
    with pytest.raises(
        ValueError, match=r"^p must be in \[0, 1\) and finite, got 1\.0$"
    ):
        check_number("p", 1.0, low=0, high=1, high_open=True)
    with pytest.raises(ValueError, match=r"^x must be finite, got nan$"):
        check_number("x", math.nan)
    with pytest.raises(ValueError, match=r"^x must be >= 0, got -inf$"):
        check_number("x", -math.inf, low=0, allow_inf=True)
    with pytest.raises(TypeError, match=r"^x must be a real number, got True$"):
        check_number("x", True)


def test_nan_fails_every_range_check():
    """The point of the module: `nan < 0` is False, and still NaN is refused."""
    for bounds in ({"low": 0}, {"high": 1}, {"low": 0, "high": 1}, {}):
        with pytest.raises(ValueError, match="got nan"):
            check_number("x", math.nan, **bounds)
        with pytest.raises(ValueError, match="non-finite"):
            check_array("x", [0.5, math.nan], low=bounds.get("low"))


def test_check_int_refuses_floats_and_bools_and_writes_bounds_as_integers():
    assert check_int("n", np.int64(3), low=1) == 3
    for value in (3.0, True, "3", None):
        with pytest.raises(TypeError, match="n must be an integer"):
            check_int("n", value)
    with pytest.raises(
        ValueError, match=r"^seed must be an integer in \[0, 4294967295\], got -1$"
    ):
        check_int("seed", -1, low=0, high=2**32 - 1)


def test_check_bool_choice_callable_type_path():
    assert check_bool("flag", np.bool_(True)) is True
    with pytest.raises(TypeError, match="flag must be True or False, got 'no'"):
        check_bool("flag", "no")
    assert check_choice("mode", "min", ("min", "max")) == "min"
    with pytest.raises(
        ValueError, match=r"^unknown mode 'best'; choose from 'min', 'max'$"
    ):
        check_choice("mode", "best", ("min", "max"))
    with pytest.raises(ValueError, match=r"unknown mode \[1\]"):
        check_choice("mode", [1], {"min", "max"})  # unhashable against a set
    assert check_callable("fn", len) is len
    with pytest.raises(TypeError, match="fn must be a schedule, got 3"):
        check_callable("fn", 3, "a schedule")
    assert check_type("x", 1.0, (int, float)) == 1.0
    with pytest.raises(TypeError, match="x must be int or float, got 'a'"):
        check_type("x", "a", (int, float))
    assert check_path("path", "a/b.pt") == Path("a/b.pt")
    with pytest.raises(TypeError, match="path must be a file path"):
        check_path("path", "")


def test_check_sequence_returns_a_tuple_and_names_the_bad_item():
    assert check_sequence("items", [1, 2], of=int) == (1, 2)
    assert check_sequence("items", (x for x in "ab")) == ("a", "b")
    for value in ("ab", None, {"a": 1}, np.ones(2), 3):
        with pytest.raises(TypeError, match="items must be a list or tuple"):
            check_sequence("items", value)
    with pytest.raises(TypeError, match=r"items\[1\] must be int, got 'b'"):
        check_sequence("items", [1, "b"], of=int)
    with pytest.raises(ValueError, match="items is empty"):
        check_sequence("items", [], non_empty=True)


def test_check_dtype():
    assert check_dtype("dtype", np.float32) == np.float32
    assert check_dtype("dtype", "float64") == np.float64
    assert check_dtype("dtype", np.int16, "iu") == np.int16
    with pytest.raises(TypeError, match="dtype must be a floating-point dtype"):
        check_dtype("dtype", np.int8)


def test_check_array_returns_the_array_and_checks_what_is_asked():
    array = np.zeros((2, 3))
    assert check_array("x", array) is array  # no copy
    assert check_array("x", [[1, 2]], kind="iu").dtype.kind == "i"
    assert check_array("x", [np.inf], finite=False)[0] == np.inf
    assert check_array("x", [True, False]).dtype == bool  # booleans by default
    with pytest.raises(TypeError, match="x must be an array of real numbers"):
        check_array("x", [True], kind="fiu")
    with pytest.raises(
        ValueError, match=r"x must have shape \(any, 3\), got \(2, 2\)"
    ):
        check_array("x", np.zeros((2, 2)), shape=(None, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(3,\), got \(2,\)"):
        check_array("x", np.zeros(2), shape=(3,))
    with pytest.raises(ValueError, match="x must have 1 or 2 dimension"):
        check_array("x", np.zeros((1, 1, 1)), ndim=(1, 2))
    with pytest.raises(ValueError, match="x must have at least 1 dimension"):
        check_array("x", 3.0, min_ndim=1)
    with pytest.raises(ValueError, match=r"x is empty \(shape \(0, 2\)\)"):
        check_array("x", np.zeros((0, 2)), non_empty=True)
    with pytest.raises(
        ValueError,
        match=r"x must have every entry in \[0, 1\], got 2 outside, e.g. 2\.0",
    ):
        check_array("x", [0.5, 2.0, -1.0], low=0, high=1)
    with pytest.raises(TypeError, match="x must be an array of numbers, got None"):
        check_array("x", None)


def test_check_torch_device():
    import torch

    assert check_torch_device("device", "cpu") == torch.device("cpu")
    assert check_torch_device("device", torch.device("cpu")).type == "cpu"
    with pytest.raises(ValueError, match="device must be a device such as 'cpu'"):
        check_torch_device("device", "gpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="finds 0 CUDA GPU"):
            check_torch_device("device", "cuda")
    else:
        with pytest.raises(RuntimeError, match="'cuda:99' was requested"):
            check_torch_device("device", "cuda:99")


def test_describe_is_short():
    assert describe(np.zeros((2, 3))) == "a ndarray of shape (2, 3) float64"
    assert describe("x" * 100).endswith("...") and len(describe("x" * 100)) == 60
    assert describe(None) == "None"
    assert describe(np.float64) == "<class 'numpy.float64'>"  # a type, not a shape


def test_importing_validation_imports_no_framework():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import mlcourse.validation, sys; "
            "print('torch' in sys.modules, 'tensorflow' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.split() == ["False", "False"]
