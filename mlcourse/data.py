"""Data for the chapters: the digits set, synthetic sets, and framework loaders.

Nothing here downloads: the digits (8x8 handwritten digits, 1797 images) ship
inside scikit-learn, and everything else is generated from a seed.

PyTorch and TensorFlow get their batches from the same NumPy index order
(:func:`batch_indices`), so a loop in each framework sees identical batches.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

SPLIT_NAMES = ("train", "val", "test")
NOISE_KINDS = ("gaussian", "laplace")


@dataclass(frozen=True)
class Dataset:
    """Inputs `x` of shape ``(n, ...)`` and targets `y` of shape ``(n, ...)``."""

    x: np.ndarray
    y: np.ndarray

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(
                f"x and y hold different numbers of examples: {len(self.x)} and {len(self.y)}"
            )
        for name in ("x", "y"):
            values = getattr(self, name)
            if np.issubdtype(values.dtype, np.floating) and not np.all(
                np.isfinite(values)
            ):
                bad = int(np.size(values) - np.count_nonzero(np.isfinite(values)))
                raise ValueError(
                    f"{name} holds {bad} non-finite values (NaN or inf)"
                )

    def __len__(self) -> int:
        return len(self.x)


@dataclass(frozen=True)
class Splits:
    """Train, validation and test sets, plus the feature statistics fitted on train.

    ``splits["val"]`` is the same as ``splits.val``. `mean` and `std` are what
    the inputs were standardized with (zeros and ones when they were not).
    """

    train: Dataset
    val: Dataset
    test: Dataset
    mean: np.ndarray
    std: np.ndarray

    def __getitem__(self, name: str) -> Dataset:
        if name not in SPLIT_NAMES:
            raise KeyError(
                f"unknown split {name!r}; choose from {', '.join(SPLIT_NAMES)}"
            )
        return getattr(self, name)


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value}")


def load_digits_splits(
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    *,
    seed: int = 0,
    standardize: bool = True,
    dtype: Any = np.float32,
) -> Splits:
    """The scikit-learn digits, split (stratified) into train/val/test.

    Inputs are the 64 pixels of each 8x8 image, shape ``(n, 64)``; labels are
    integers 0-9. With `standardize`, each pixel is centred and scaled with the
    mean and standard deviation of the *training* split only, so nothing about
    the validation or test images leaks into training. Pixels that are constant
    in training (some corners are always blank) keep a scale of 1.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    _check_fraction("val_fraction", val_fraction)
    _check_fraction("test_fraction", test_fraction)
    if val_fraction + test_fraction >= 1.0:
        raise ValueError(
            f"val_fraction + test_fraction must leave room for training, got "
            f"{val_fraction} + {test_fraction}"
        )
    digits = load_digits()
    x, y = digits.data.astype(np.float64), digits.target.astype(np.int64)
    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=test_fraction, stratify=y, random_state=seed
    )
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest,
        y_rest,
        test_size=val_fraction / (1.0 - test_fraction),
        stratify=y_rest,
        random_state=seed,
    )
    if standardize:
        mean = x_train.mean(axis=0)
        std = x_train.std(axis=0)
        std[std < 1e-8] = 1.0
    else:
        mean, std = np.zeros(x.shape[1]), np.ones(x.shape[1])

    def prepare(inputs: np.ndarray, labels: np.ndarray) -> Dataset:
        return Dataset(((inputs - mean) / std).astype(dtype), labels)

    return Splits(
        prepare(x_train, y_train),
        prepare(x_val, y_val),
        prepare(x_test, y_test),
        mean.astype(dtype),
        std.astype(dtype),
    )


def make_regression(
    n_samples: int = 100,
    n_features: int = 1,
    *,
    weights: np.ndarray | None = None,
    bias: float = 0.0,
    noise: str = "gaussian",
    noise_std: float = 1.0,
    outlier_fraction: float = 0.0,
    outlier_shift: float = 10.0,
    seed: int = 0,
) -> tuple[Dataset, np.ndarray]:
    """A linear regression set ``y = x @ weights + bias + noise``, shapes ``(n, d)`` and ``(n,)``.

    `noise` is ``"gaussian"`` or ``"laplace"``, both with standard deviation
    `noise_std`. A share `outlier_fraction` of the targets is then moved up by
    `outlier_shift`. Returns the data and the true weights (drawn from the seed
    when not given). Inputs are standard normal, in float64.
    """
    if n_samples < 1 or n_features < 1:
        raise ValueError(
            f"need at least one sample and one feature, got {n_samples}, {n_features}"
        )
    if noise not in NOISE_KINDS:
        raise ValueError(
            f"unknown noise {noise!r}; choose from {', '.join(NOISE_KINDS)}"
        )
    if noise_std < 0:
        raise ValueError(f"noise_std must be non-negative, got {noise_std}")
    if not 0.0 <= outlier_fraction < 1.0:
        raise ValueError(
            f"outlier_fraction must be in [0, 1), got {outlier_fraction}"
        )
    rng = np.random.default_rng(seed)
    if weights is None:
        weights = rng.uniform(-2.0, 2.0, size=n_features)
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (n_features,):
        raise ValueError(
            f"weights must have shape ({n_features},), got {weights.shape}"
        )
    x = rng.standard_normal((n_samples, n_features))
    if noise == "gaussian":
        eps = rng.normal(0.0, noise_std, size=n_samples)
    else:  # a Laplace distribution with scale b has standard deviation b * sqrt(2)
        eps = rng.laplace(0.0, noise_std / np.sqrt(2.0), size=n_samples)
    y = x @ weights + bias + eps
    n_outliers = int(round(outlier_fraction * n_samples))
    if n_outliers:
        y[rng.choice(n_samples, size=n_outliers, replace=False)] += outlier_shift
    return Dataset(x, y), weights


def make_blobs(
    n_samples: int = 300,
    n_classes: int = 3,
    *,
    n_features: int = 2,
    spread: float = 1.0,
    seed: int = 0,
) -> Dataset:
    """Gaussian clusters, one per class: inputs ``(n, n_features)`` float64, integer labels ``(n,)``.

    Class centres sit 3 units from the origin (evenly around a circle in 2-D);
    `spread` is each cluster's standard deviation, so a larger one makes the
    classes overlap more. Classes are balanced and the rows shuffled.
    """
    if n_classes < 2:
        raise ValueError(f"need at least two classes, got {n_classes}")
    if n_samples < n_classes:
        raise ValueError(
            f"need at least one sample per class, got {n_samples} for {n_classes}"
        )
    if n_features < 2:
        raise ValueError(f"need at least two features, got {n_features}")
    if spread <= 0:
        raise ValueError(f"spread must be positive, got {spread}")
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = np.zeros((n_classes, n_features))
    centres[:, 0], centres[:, 1] = 3 * np.cos(angles), 3 * np.sin(angles)
    if n_features > 2:  # higher dimensions: random directions of the same length
        directions = rng.standard_normal((n_classes, n_features))
        centres = 3 * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    y = np.arange(n_samples) % n_classes
    rng.shuffle(y)
    x = centres[y] + spread * rng.standard_normal((n_samples, n_features))
    return Dataset(x, y.astype(np.int64))


def batch_indices(
    n: int,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int = 0,
    epoch: int = 0,
    drop_last: bool = False,
) -> list[np.ndarray]:
    """The example indices of each mini-batch of one epoch.

    With `shuffle`, the order is a fresh permutation for every ``(seed, epoch)``;
    every example appears exactly once. The last batch is smaller when
    `batch_size` does not divide `n`, unless `drop_last` removes it.
    """
    if n < 1:
        raise ValueError("the data set is empty: there is nothing to batch")
    if isinstance(batch_size, bool) or not isinstance(
        batch_size, (int, np.integer)
    ):
        raise TypeError(
            f"batch_size must be an integer, got {type(batch_size).__name__}"
        )
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if drop_last and batch_size > n:
        raise ValueError(
            f"batch_size {batch_size} exceeds the {n} examples and drop_last drops all"
        )
    order = (
        np.random.default_rng([seed, epoch]).permutation(n)
        if shuffle
        else np.arange(n)
    )
    stop = n - n % batch_size if drop_last else n
    return [
        order[start : min(start + batch_size, stop)]
        for start in range(0, stop, batch_size)
    ]


class _EpochSampler:
    """Yields the index batches of :func:`batch_indices`, one epoch per iteration."""

    def __init__(
        self, n: int, batch_size: int, shuffle: bool, seed: int, drop_last: bool
    ):
        self.args = dict(
            batch_size=batch_size, shuffle=shuffle, seed=seed, drop_last=drop_last
        )
        self.n = n
        self.batches = batch_indices(n, **self.args)  # validates the arguments now
        self.epoch = 0

    def __iter__(self) -> Iterator[np.ndarray]:
        batches = batch_indices(self.n, epoch=self.epoch, **self.args)
        self.epoch += 1
        return iter(batches)

    def __len__(self) -> int:
        return len(self.batches)


def torch_loader(
    data: Dataset,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int = 0,
    drop_last: bool = False,
    device: str = "cpu",
):
    """A ``torch.utils.data.DataLoader`` over `data`, reshuffled every epoch.

    Batches come in the order of :func:`batch_indices` (so they match
    :func:`tf_dataset` with the same arguments), already on `device`. Floating
    inputs become float tensors of the same precision; integer labels int64.
    """
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    sampler = _EpochSampler(len(data), batch_size, shuffle, seed, drop_last)
    tensors = TensorDataset(
        torch.as_tensor(data.x, device=device),
        torch.as_tensor(data.y, device=device),
    )
    # batch_size=None: the sampler hands whole index arrays to the dataset,
    # which slices the tensors at once instead of stacking single examples.
    return DataLoader(tensors, sampler=sampler, batch_size=None)


def tf_dataset(
    data: Dataset,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int = 0,
    drop_last: bool = False,
):
    """A ``tf.data.Dataset`` over `data` whose batches match :func:`torch_loader`'s.

    Each pass over the dataset (each Keras epoch) takes the next epoch's order.
    """
    from mlcourse.runtime import import_tensorflow

    tf = import_tensorflow()
    sampler = _EpochSampler(len(data), batch_size, shuffle, seed, drop_last)
    x, y = tf.constant(data.x), tf.constant(data.y)

    def epoch_order():
        # One Python call per epoch: the whole order, which TensorFlow then cuts
        # into the same consecutive batches as batch_indices.
        yield np.concatenate(list(sampler))

    order = tf.data.Dataset.from_generator(
        epoch_order, output_signature=tf.TensorSpec(shape=[None], dtype=tf.int64)
    )
    batches = order.unbatch().batch(batch_size, drop_remainder=drop_last)
    # Tell Keras how many batches an epoch has, so fit() knows where epochs end.
    batches = batches.apply(tf.data.experimental.assert_cardinality(len(sampler)))
    return batches.map(lambda idx: (tf.gather(x, idx), tf.gather(y, idx)))


def to_numpy(value: Any) -> np.ndarray:
    """A NumPy copy of a NumPy array, PyTorch tensor, TensorFlow tensor or number.

    Always a copy: a CPU tensor's ``.numpy()`` shares memory with the tensor,
    so a trajectory recorded from views would change as training goes on.
    """
    library = type(value).__module__.split(".")[0]
    if library == "torch":  # possibly on a GPU, or needing grad
        return value.detach().cpu().numpy().copy()
    if library in ("tensorflow", "keras"):  # an eager tensor or a variable
        return np.array(value.numpy(), copy=True)
    return np.array(value, copy=True)
