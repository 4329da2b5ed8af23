"""Tests of mlcourse.display and mlcourse.plotting."""

import warnings

import numpy as np
import pytest

import mlcourse as mc


def test_print_warnings_prints_instead_of_writing_to_stderr(capsys):
    with mc.print_warnings() as caught:
        np.exp(np.array([1000.0]))
        warnings.warn("look here", UserWarning, stacklevel=1)
    captured = capsys.readouterr()
    assert len(caught) == 2
    assert "RuntimeWarning: overflow encountered in exp" in captured.out
    assert "UserWarning: look here" in captured.out
    assert captured.err == ""


def test_show_source_displays_the_code_that_runs():
    shown = mc.show_source(mc.losses.logsumexp)
    assert "def logsumexp" in shown.data
    with pytest.raises(TypeError, match="obj must be a function, class"):
        mc.show_source(len)


def test_book_style_sets_the_defaults():
    import matplotlib as mpl

    mpl.rcdefaults()
    mc.use_book_style()
    assert mpl.rcParams["axes.grid"] is True
    assert mpl.rcParams["axes.spines.top"] is False
    assert set(mc.FRAMEWORK_COLORS) == {"numpy", "torch", "tensorflow"}


def test_glue_turns_framework_scalars_into_python_numbers(monkeypatch):
    import myst_nb
    import torch

    tf = mc.import_tensorflow()
    stored = {}
    monkeypatch.setattr(
        myst_nb, "glue", lambda name, value, display: stored.update({name: value})
    )
    values = {
        "np": np.float64(0.5),
        "int": np.int64(3),
        "torch": torch.tensor(2.5),
        "tf": tf.constant(1.5),
        "zero_d": np.array(4.0),
        "plain": 0.25,
    }
    for name, value in values.items():
        mc.glue(name, value)
    assert stored == {
        "np": 0.5,
        "int": 3,
        "torch": 2.5,
        "tf": 1.5,
        "zero_d": 4.0,
        "plain": 0.25,
    }
    assert all(type(v) in (float, int) for v in stored.values())
    array = np.arange(3)
    mc.glue("array", array)
    assert stored["array"] is array  # non-scalars pass through
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        mc.glue("", 1.0)


@pytest.mark.parametrize(
    "value, digits, expected",
    [
        (3.2e-7, 1, "$3.2 \\times 10^{-7}$"),
        (1e-12, 0, "$10^{-12}$"),
        (-2e-5, 1, "$-2.0 \\times 10^{-5}$"),
        (0.25, 1, "$0.25$"),
        (0.0, 1, "$0$"),
        (float("inf"), 1, "$\\infty$"),
        (float("nan"), 1, "NaN"),
    ],
)
def test_scientific_math(value, digits, expected):
    assert mc.display.scientific_math(value, digits) == expected


def test_glue_sci_stores_latex_and_the_value(monkeypatch):
    stored = {}
    monkeypatch.setattr(
        "myst_nb.glue", lambda name, value, display: stored.update({name: value})
    )
    mc.glue_sci("gap", np.float32(3.2e-7))
    assert stored["gap"]._repr_latex_() == "$3.2 \\times 10^{-7}$"
    with pytest.raises(TypeError, match="value must be a real number"):
        mc.glue_sci("gap", "small")
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        mc.glue_sci("", 1.0)


def test_print_warnings_prints_a_repeated_warning_once_with_its_count(capsys):
    with mc.print_warnings():
        for _ in range(3):
            warnings.warn("same again", UserWarning, stacklevel=1)
        warnings.warn("x " * 60, DeprecationWarning, stacklevel=1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "UserWarning: same again (raised 3 times)"
    assert all(len(line) <= mc.display.PAGE_WIDTH for line in lines)
