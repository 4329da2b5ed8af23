"""NumPy reference implementations of the loss functions (chapter "Loss functions").

These are the numerically stable versions the losses chapter derives; later
chapters (gradient descent, backpropagation) use them as the reference that
PyTorch and TensorFlow are checked against. Inputs are NumPy arrays (or
anything ``np.asarray`` accepts); results are float64.

Where this module is stricter than PyTorch, on purpose: every loss refuses
predictions and targets whose shapes differ (PyTorch broadcasts some of them,
with a warning), empty batches (PyTorch returns NaN for their mean), and NaN
or infinite predictions, targets and class weights (PyTorch lets NaN flow
into the loss): a reference that quietly returns NaN hides the bug it should
expose. :func:`logsumexp`, :func:`log_softmax` and :func:`softmax` are
building blocks, not losses: like PyTorch's they accept infinities and NaN
and propagate them as PyTorch does.
"""

from __future__ import annotations

import numpy as np

from mlcourse.validation import check_array, check_choice, check_int, check_number

REDUCTIONS = ("mean", "sum", "none")


def _reduce(values: np.ndarray, reduction: str) -> np.ndarray | float:
    if reduction == "mean":
        return float(np.mean(values))
    if reduction == "sum":
        return float(np.sum(values))
    return values


def _check_pair(pred, target, names=("pred", "target")) -> tuple:
    """`pred` and `target` as float arrays of the same shape, finite, not empty."""
    pred = check_array(names[0], pred, non_empty=True).astype(float)
    target = check_array(names[1], target, non_empty=True).astype(float)
    if pred.shape != target.shape:
        raise ValueError(
            f"{names[0]} shape {pred.shape} != {names[1]} shape {target.shape}; "
            "broadcasting them would compare every prediction with every target"
        )
    return pred, target


def mse(
    pred: np.ndarray, target: np.ndarray, reduction: str = "mean"
) -> np.ndarray | float:
    """Mean squared error, ``(pred - target)**2``.

    The negative log-likelihood of Gaussian noise (up to constants). `pred`
    and `target` have the same shape; ``reduction="none"`` keeps it.
    """
    reduction = check_choice("reduction", reduction, REDUCTIONS)
    pred, target = _check_pair(pred, target)
    return _reduce((pred - target) ** 2, reduction)


def mae(
    pred: np.ndarray, target: np.ndarray, reduction: str = "mean"
) -> np.ndarray | float:
    """Mean absolute error, ``|pred - target|``.

    The negative log-likelihood of Laplace noise (up to constants). `pred`
    and `target` have the same shape; ``reduction="none"`` keeps it.
    """
    reduction = check_choice("reduction", reduction, REDUCTIONS)
    pred, target = _check_pair(pred, target)
    return _reduce(np.abs(pred - target), reduction)


def huber(
    pred: np.ndarray,
    target: np.ndarray,
    delta: float = 1.0,
    reduction: str = "mean",
) -> np.ndarray | float:
    """Huber loss: quadratic for ``|error| <= delta``, linear beyond.

    As ``torch.nn.HuberLoss(delta=delta)``; `delta` is a positive number.
    """
    reduction = check_choice("reduction", reduction, REDUCTIONS)
    delta = check_number("delta", delta, low=0, low_open=True)
    pred, target = _check_pair(pred, target)
    error = np.abs(pred - target)
    values = np.where(error <= delta, 0.5 * error**2, delta * (error - 0.5 * delta))
    return _reduce(values, reduction)


def _check_logits(logits, axis) -> tuple[np.ndarray, int]:
    """`logits` as a float array (infinities and NaN allowed), `axis` checked."""
    logits = check_array("logits", logits, finite=False, min_ndim=1).astype(float)
    axis = check_int("axis", axis, low=-logits.ndim, high=logits.ndim - 1)
    return logits, axis


def logsumexp(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(sum(exp(logits)))`` along `axis`, without overflow.

    The maximum is taken out first. Infinities and NaN give what
    ``torch.logsumexp`` gives: ``inf`` if a logit is ``+inf``, ``-inf`` if
    all are ``-inf`` (or the axis is empty), NaN if one is NaN.
    """
    logits, axis = _check_logits(logits, axis)
    peak = np.max(logits, axis=axis, keepdims=True, initial=-np.inf)
    # An infinite maximum cannot be taken out (inf - inf is NaN): take out 0.
    peak = np.where(np.isfinite(peak), peak, 0.0)
    with np.errstate(divide="ignore", over="ignore"):  # log(0) = -inf, e^inf
        total = np.sum(np.exp(logits - peak), axis=axis)
        return np.squeeze(peak, axis=axis) + np.log(total)


def log_softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Log-probabilities from logits, stable for logits of any size.

    A row of ``-inf`` gives NaN, as in ``torch.log_softmax``; a ``+inf``
    logit gives NaN for itself and ``-inf`` for the others (PyTorch: NaN
    for the whole row).
    """
    logits, axis = _check_logits(logits, axis)
    with np.errstate(invalid="ignore"):  # inf - inf is NaN, silently as in PyTorch
        return logits - np.expand_dims(logsumexp(logits, axis=axis), axis)


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Probabilities from logits; each slice along `axis` sums to 1."""
    return np.exp(log_softmax(logits, axis=axis))


def check_logits_and_labels(logits, labels) -> tuple[np.ndarray, np.ndarray]:
    """`logits` ``(n, K)`` and integer `labels` ``(n,)`` in ``[0, K)``, checked.

    The input check of a classification loss, shared by :func:`cross_entropy`
    and :func:`mlcourse.reference.autograd.softmax_cross_entropy` so that both
    accept the same inputs: finite logits, at least one example, labels that
    are class indices. Returns both as arrays (logits keep their dtype).
    """
    logits = check_array("logits", logits, ndim=2, kind="fiu", non_empty=True)
    n, n_classes = logits.shape
    labels = check_array("labels", labels, kind="iu")
    if labels.shape != (n,):
        raise ValueError(
            f"labels must have shape ({n},) to match logits {logits.shape}, "
            f"got {labels.shape}"
        )
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(
            f"labels must lie in [0, {n_classes}), "
            f"got {labels.min()}..{labels.max()}"
        )
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
    ``label_smoothing / K`` elsewhere; with `class_weights` (``(K,)``, finite,
    non-negative) each class's log-probability is weighted, and ``"mean"``
    divides by the summed weight of the true classes rather than by ``n``
    (a batch whose true classes all weigh 0 is refused: PyTorch gives NaN).
    """
    reduction = check_choice("reduction", reduction, REDUCTIONS)
    label_smoothing = check_number(
        "label_smoothing", label_smoothing, low=0, high=1
    )
    logits, labels = check_logits_and_labels(logits, labels)
    n, n_classes = logits.shape
    if class_weights is None:
        weights = np.ones(n_classes)
    else:
        weights = check_array(
            "class_weights", class_weights, shape=(n_classes,), kind="fiu", low=0
        ).astype(float)
    log_p = log_softmax(logits)
    true_class = -weights[labels] * log_p[np.arange(n), labels]
    uniform = -(log_p * weights).sum(axis=1) / n_classes
    values = (1.0 - label_smoothing) * true_class + label_smoothing * uniform
    if reduction != "mean":
        return _reduce(values, reduction)
    total_weight = weights[labels].sum()
    if total_weight == 0:
        raise ValueError(
            "class_weights of the labels in this batch sum to 0: "
            "their weighted mean is undefined"
        )
    return float(values.sum() / total_weight)


def binary_cross_entropy_with_logits(
    logits: np.ndarray, targets: np.ndarray, reduction: str = "mean"
) -> np.ndarray | float:
    """Binary cross-entropy from logits: ``-[y log s(z) + (1-y) log(1-s(z))]``.

    Computed stably as ``max(z, 0) - z*y + log(1 + exp(-|z|))``, which equals
    the formula above for every real `z` and never takes the log of 0.
    `targets` lie in ``[0, 1]`` and have the shape of `logits`.
    """
    reduction = check_choice("reduction", reduction, REDUCTIONS)
    logits, targets = _check_pair(logits, targets, ("logits", "targets"))
    check_array("targets", targets, low=0, high=1)
    values = (
        np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))
    )
    return _reduce(values, reduction)
