"""Tests of mlcourse.reference.losses against PyTorch in float64, and of its input checks."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import mlcourse as mc
from mlcourse.reference import losses

REDUCTIONS = ["mean", "sum", "none"]


def close(ours, theirs):
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_match_torch(seed, reduction):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 6, size=rng.integers(1, 3)))
    pred, target = rng.normal(size=shape) * 3, rng.normal(size=shape)
    tp, tt = torch.tensor(pred), torch.tensor(target)
    close(
        losses.mse(pred, target, reduction), F.mse_loss(tp, tt, reduction=reduction)
    )
    close(
        losses.mae(pred, target, reduction), F.l1_loss(tp, tt, reduction=reduction)
    )
    delta = float(rng.uniform(0.2, 3))
    close(
        losses.huber(pred, target, delta, reduction),
        F.huber_loss(tp, tt, reduction=reduction, delta=delta),
    )


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_matches_torch(seed, reduction):
    rng = np.random.default_rng(seed)
    n, k = rng.integers(1, 8), rng.integers(2, 6)
    logits, labels = rng.normal(size=(n, k)) * 4, rng.integers(0, k, size=n)
    weights = rng.uniform(0.2, 3, size=k) if seed % 2 else None
    smoothing = [0.0, 0.1, 0.3][seed % 3]
    ours = losses.cross_entropy(
        logits,
        labels,
        class_weights=weights,
        label_smoothing=smoothing,
        reduction=reduction,
    )
    theirs = F.cross_entropy(
        torch.tensor(logits),
        torch.tensor(labels),
        reduction=reduction,
        label_smoothing=smoothing,
        weight=None if weights is None else torch.tensor(weights),
    )
    close(ours, theirs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits_matches_torch(reduction):
    rng = np.random.default_rng(0)
    logits, targets = rng.normal(size=20) * 30, rng.uniform(size=20)
    close(
        losses.binary_cross_entropy_with_logits(logits, targets, reduction),
        F.binary_cross_entropy_with_logits(
            torch.tensor(logits), torch.tensor(targets), reduction=reduction
        ),
    )


def test_softmax_family_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]])
    p = losses.softmax(logits)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[1], 1 / 3)
    assert np.all(np.isfinite(losses.log_softmax(logits)))
    assert losses.logsumexp(logits)[0] == pytest.approx(1000.0)
    assert losses.cross_entropy(logits, np.array([2, 0])) == pytest.approx(
        (2000.0 + np.log(3)) / 2
    )
    assert np.isfinite(
        losses.binary_cross_entropy_with_logits(
            np.array([1000.0, -1000.0]), np.array([0.0, 1.0])
        )
    )


def test_logsumexp_equals_the_naive_formula_where_that_works():
    z = np.random.default_rng(1).normal(size=(4, 7))
    np.testing.assert_allclose(
        losses.logsumexp(z, axis=0), np.log(np.exp(z).sum(axis=0))
    )


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: losses.mse(np.zeros((3, 1)), np.zeros(3)),
            r"pred shape \(3, 1\) != target shape \(3,\)",
        ),
        (
            lambda: losses.mae(np.zeros(2), np.zeros(2), reduction="avg"),
            "unknown reduction 'avg'",
        ),
        (
            lambda: losses.huber(np.zeros(2), np.zeros(2), delta=0),
            "delta must be > 0",
        ),
        (lambda: losses.mse(np.array([np.nan]), np.zeros(1)), "NaN or inf"),
        (
            lambda: losses.cross_entropy(np.zeros((2, 3)), np.array([0, 3])),
            r"labels must lie in \[0, 3\)",
        ),
        (
            lambda: losses.cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2])),
            r"labels must have shape \(2,\)",
        ),
        (
            lambda: losses.cross_entropy(np.zeros(3), np.array([0])),
            "logits must have 2 dimension",
        ),
        (
            lambda: losses.cross_entropy(
                np.zeros((1, 3)), np.array([0]), class_weights=[1, 2]
            ),
            "class_weights",
        ),
        (
            lambda: losses.cross_entropy(
                np.zeros((1, 3)), np.array([0]), label_smoothing=1.5
            ),
            "label_smoothing",
        ),
        (
            lambda: losses.cross_entropy(np.array([[np.inf, 0]]), np.array([0])),
            "NaN or inf",
        ),
        (
            lambda: losses.binary_cross_entropy_with_logits(
                np.zeros(2), np.array([0.0, 2.0])
            ),
            r"\[0, 1\]",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_losses_are_reachable_from_the_package():
    assert mc.losses.cross_entropy is losses.cross_entropy


@pytest.mark.parametrize(
    "logits",
    [
        [np.inf, 1.0],
        [-np.inf, -np.inf, -np.inf],
        [-np.inf, 1.0],
        [np.inf, -np.inf],
        [np.inf, np.inf],
        [np.nan, 1.0],
        [np.inf, np.nan],
        [],
        [1e308, 1e308],
        [-1e308, 0.0],
    ],
)
def test_logsumexp_matches_torch_on_infinities_nan_and_empty(logits, recwarn):
    ours = losses.logsumexp(np.array(logits, dtype=float))
    theirs = torch.logsumexp(torch.tensor(logits, dtype=torch.float64), dim=-1)
    np.testing.assert_array_equal(ours, theirs.numpy())  # inf and NaN included
    assert len(recwarn) == 0


def test_logsumexp_matches_torch_along_any_axis():
    rng = np.random.default_rng(3)
    logits = rng.normal(scale=300, size=(4, 5, 6))
    logits[0, 0, :] = -np.inf
    logits[1, 2, 3] = np.inf
    for axis in (0, 1, 2, -1):
        ours = losses.logsumexp(logits, axis=axis)
        theirs = torch.logsumexp(torch.tensor(logits), dim=axis).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=4 * np.finfo(float).eps)


def test_log_softmax_and_softmax_propagate_like_torch(recwarn):
    all_minus_inf = np.full((1, 3), -np.inf)
    assert np.isnan(losses.log_softmax(all_minus_inf)).all()
    assert np.isnan(losses.softmax(all_minus_inf)).all()
    assert torch.log_softmax(torch.tensor(all_minus_inf), -1).isnan().all()
    assert len(recwarn) == 0


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: losses.mse(np.zeros(2), np.array([0.0, np.nan])),
            ValueError,
            "target holds 1 non-finite",
        ),
        (lambda: losses.mae(np.zeros(0), np.zeros(0)), ValueError, "pred is empty"),
        (
            lambda: losses.cross_entropy(
                np.zeros((1, 2)), [0], class_weights=[np.nan, 1.0]
            ),
            ValueError,
            "class_weights holds 1 non-finite",
        ),
        (
            lambda: losses.cross_entropy(
                np.zeros((1, 2)), [0], class_weights=[-1.0, 1.0]
            ),
            ValueError,
            "class_weights must have every entry >= 0",
        ),
        (
            lambda: losses.cross_entropy(
                np.zeros((1, 2)), [0], class_weights=[0.0, 1.0]
            ),
            ValueError,
            "sum to 0",
        ),
        (
            lambda: losses.huber(np.zeros(1), np.zeros(1), delta=np.nan),
            ValueError,
            "delta must be > 0 and finite, got nan",
        ),
        (
            lambda: losses.cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0])),
            TypeError,
            "labels must be an array of integer numbers",
        ),
    ],
)
def test_strict_where_torch_returns_nan(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_cross_entropy_and_the_engine_accept_the_same_logits():
    from mlcourse.reference.autograd import Tensor, softmax_cross_entropy

    for logits in (
        np.array([[np.nan, 0.0]]),
        np.array([[np.inf, 0.0]]),
        np.zeros((0, 2)),
    ):
        labels = np.zeros(len(logits), dtype=int)
        with pytest.raises(ValueError, match="logits") as from_losses:
            losses.cross_entropy(logits, labels)
        with pytest.raises(ValueError, match="logits") as from_engine:
            softmax_cross_entropy(Tensor(logits), labels)
        assert str(from_losses.value) == str(from_engine.value)
