"""Tests of mlcourse.crosscheck.assert_agree."""

import numpy as np
import pytest

import mlcourse as mc


def test_agreeing_values_return_the_measured_differences():
    import torch

    tf = mc.import_tensorflow()
    a = np.array([1.0, 2.0, 3.0])
    result = mc.assert_agree(
        {"numpy": a, "torch": torch.tensor(a + 1e-9), "tensorflow": tf.constant(a)},
        rtol=0,
        atol=1e-8,
    )
    assert set(result.max_abs_diff) == {
        ("numpy", "torch"),
        ("numpy", "tensorflow"),
        ("torch", "tensorflow"),
    }
    assert result.max_abs_diff[("numpy", "tensorflow")] == 0.0
    assert result.worst_abs_diff == pytest.approx(1e-9, rel=1e-3)
    assert "agree within rtol=0, atol=1e-08" in str(result)


def test_disagreement_names_the_pair_the_count_and_the_worst_entry():
    a = np.zeros((2, 3))
    b = a.copy()
    b[1, 2] = 0.5
    b[0, 0] = 0.1
    with pytest.raises(AssertionError) as caught:
        mc.assert_agree(
            {"numpy": a, "torch": a, "tensorflow": b}, rtol=1e-6, atol=1e-6
        )
    message = str(caught.value)
    assert "numpy vs tensorflow differ at 2 of 6 entries" in message
    assert "torch vs tensorflow differ at 2 of 6 entries" in message
    assert "worst at index (1, 2): numpy=0.0, tensorflow=0.5" in message
    assert "numpy vs torch" not in message


def test_shape_mismatch_is_an_error_not_a_broadcast():
    with pytest.raises(
        AssertionError, match=r"shapes differ: a \(3, 1\), b \(3,\)"
    ):
        mc.assert_agree({"a": np.zeros((3, 1)), "b": np.zeros(3)}, rtol=0, atol=1)


def test_nan_on_one_side_is_a_disagreement():
    with pytest.raises(AssertionError, match="b=nan"):
        mc.assert_agree({"a": [1.0, 2.0], "b": [1.0, np.nan]}, rtol=1e-3, atol=0)
    mc.assert_agree(
        {"a": [1.0, np.nan], "b": [1.0, np.nan]}, rtol=0, atol=0, equal_nan=True
    )


def test_scalars_are_compared():
    assert (
        mc.assert_agree(
            {"a": 1.0, "b": np.float32(1.0)}, rtol=0, atol=0
        ).worst_abs_diff
        == 0.0
    )


@pytest.mark.parametrize(
    "values, rtol, match",
    [
        ({"a": 1.0}, 0.0, "values must hold at least two arrays"),
        ({"a": 1.0, "b": 1.0}, -1.0, "rtol must be >= 0"),
    ],
)
def test_bad_arguments_are_refused(values, rtol, match):
    with pytest.raises(ValueError, match=match):
        mc.assert_agree(values, rtol=rtol, atol=0)
