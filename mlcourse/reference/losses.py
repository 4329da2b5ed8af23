"""NumPy reference implementations of the loss functions (chapter "Loss functions").

These are the numerically stable versions the losses chapter derives; later
chapters (gradient descent, backpropagation) use them as the reference that
PyTorch and TensorFlow are checked against. Inputs are NumPy arrays; every
function refuses mismatched shapes instead of broadcasting them.
"""

from __future__ import annotations

import numpy as np

REDUCTIONS = ("mean", "sum", "none")


def _reduce(values: np.ndarray, reduction: str) -> np.ndarray | float:
    if reduction == "mean":
        return float(np.mean(values))
    if reduction == "sum":
        return float(np.sum(values))
    return values


def _check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"unknown reduction {reduction!r}; choose from {', '.join(REDUCTIONS)}"
        )


def _check_pair(
    pred: np.ndarray, target: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    pred, target = np.asarray(pred, dtype=float), np.asarray(target, dtype=float)
    if pred.shape != target.shape:
        raise ValueError(
            f"prediction shape {pred.shape} != target shape {target.shape}; "
            "broadcasting them would compare every prediction with every target"
        )
    if not np.all(np.isfinite(pred)):
        raise ValueError("predictions hold NaN or inf")
    return pred, target


def mse(
    pred: np.ndarray, target: np.ndarray, reduction: str = "mean"
) -> np.ndarray | float:
    """Mean squared error, ``(pred - target)**2``; the negative log-likelihood of Gaussian noise."""
    _check_reduction(reduction)
    pred, target = _check_pair(pred, target)
    return _reduce((pred - target) ** 2, reduction)


def mae(
    pred: np.ndarray, target: np.ndarray, reduction: str = "mean"
) -> np.ndarray | float:
    """Mean absolute error, ``|pred - target|``; the negative log-likelihood of Laplace noise."""
    _check_reduction(reduction)
    pred, target = _check_pair(pred, target)
    return _reduce(np.abs(pred - target), reduction)


def huber(
    pred: np.ndarray,
    target: np.ndarray,
    delta: float = 1.0,
    reduction: str = "mean",
) -> np.ndarray | float:
    """Huber loss: quadratic for ``|error| <= delta``, linear beyond (``torch.nn.HuberLoss``)."""
    _check_reduction(reduction)
    if delta <= 0:
        raise ValueError(f"delta must be positive, got {delta}")
    pred, target = _check_pair(pred, target)
    error = np.abs(pred - target)
    values = np.where(error <= delta, 0.5 * error**2, delta * (error - 0.5 * delta))
    return _reduce(values, reduction)


def logsumexp(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(sum(exp(logits)))`` along `axis`, without overflow: the maximum is taken out first."""
    logits = np.asarray(logits, dtype=float)
    peak = np.max(logits, axis=axis, keepdims=True)
    return np.squeeze(peak, axis=axis) + np.log(
        np.sum(np.exp(logits - peak), axis=axis)
    )


def log_softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Log-probabilities from logits, stable for logits of any size."""
    logits = np.asarray(logits, dtype=float)
    return logits - np.expand_dims(logsumexp(logits, axis=axis), axis)


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Probabilities from logits; each slice along `axis` sums to 1."""
    return np.exp(log_softmax(logits, axis=axis))


def _check_labels(
    logits: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    logits, labels = np.asarray(logits, dtype=float), np.asarray(labels)
    if logits.ndim != 2:
        raise ValueError(
            f"logits must have shape (batch, classes), got {logits.shape}"
        )
    if labels.shape != (logits.shape[0],):
        raise ValueError(
            f"labels must have shape ({logits.shape[0]},) to match logits {logits.shape}, "
            f"got {labels.shape}"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"labels must be integer class indices, got dtype {labels.dtype}"
        )
    n_classes = logits.shape[1]
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"labels must lie in [0, {n_classes}), got {labels.min()}..{labels.max()}"
        )
    if not np.all(np.isfinite(logits)):
        raise ValueError("logits hold NaN or inf")
    return logits, labels


def cross_entropy(
    logits: np.ndarray,
    labels: np.ndarray,
    *,
    class_weights: np.ndarray | None = None,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
) -> np.ndarray | float:
    """Categorical cross-entropy from logits ``(n, K)`` and integer labels ``(n,)``.

    Follows ``torch.nn.functional.cross_entropy``: the smoothed target puts
    ``1 - label_smoothing + label_smoothing / K`` on the true class and
    ``label_smoothing / K`` elsewhere; with `class_weights` each class's
    log-probability is weighted, and ``"mean"`` divides by the summed weight
    of the true classes rather than by ``n``.
    """
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"label_smoothing must be in [0, 1], got {label_smoothing}"
        )
    logits, labels = _check_labels(logits, labels)
    n, n_classes = logits.shape
    weights = (
        np.ones(n_classes)
        if class_weights is None
        else np.asarray(class_weights, float)
    )
    if weights.shape != (n_classes,):
        raise ValueError(
            f"class_weights must have shape ({n_classes},), got {weights.shape}"
        )
    log_p = log_softmax(logits)
    true_class = -weights[labels] * log_p[np.arange(n), labels]
    uniform = -(log_p * weights).sum(axis=1) / n_classes
    values = (1.0 - label_smoothing) * true_class + label_smoothing * uniform
    if reduction == "mean":
        return float(values.sum() / weights[labels].sum())
    return _reduce(values, reduction)


def binary_cross_entropy_with_logits(
    logits: np.ndarray, targets: np.ndarray, reduction: str = "mean"
) -> np.ndarray | float:
    """Binary cross-entropy from logits, ``-[y log s(z) + (1-y) log(1-s(z))]``, computed stably.

    Uses ``max(z, 0) - z*y + log(1 + exp(-|z|))``, which equals the formula
    above for every real `z` and never takes the log of 0.
    """
    _check_reduction(reduction)
    logits, targets = _check_pair(logits, targets)
    if np.any((targets < 0) | (targets > 1)):
        raise ValueError("binary targets must lie in [0, 1]")
    values = (
        np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))
    )
    return _reduce(values, reduction)
