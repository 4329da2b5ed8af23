"""Tests of mlcourse.display and mlcourse.plotting."""

import warnings

import numpy as np
import pytest

import mlcourse as mc


def test_print_warnings_prints_instead_of_writing_to_stderr(capsys):
    with mc.print_warnings() as caught:
        np.exp(np.array([1000.0]))
        warnings.warn("look here", UserWarning)
    captured = capsys.readouterr()
    assert len(caught) == 2
    assert "RuntimeWarning: overflow encountered in exp" in captured.out
    assert "UserWarning: look here" in captured.out
    assert captured.err == ""


def test_show_source_displays_the_code_that_runs():
    shown = mc.show_source(mc.losses.logsumexp)
    assert "def logsumexp" in shown.data
    with pytest.raises(TypeError, match="cannot show the source"):
        mc.show_source(len)


def test_book_style_sets_the_defaults():
    import matplotlib as mpl

    mpl.rcdefaults()
    mc.use_book_style()
    assert mpl.rcParams["axes.grid"] is True
    assert mpl.rcParams["axes.spines.top"] is False
    assert set(mc.FRAMEWORK_COLORS) == {"numpy", "torch", "tensorflow"}
