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

from mlcourse.validation import (
    check_array,
    check_bool,
    check_choice,
    check_dtype,
    check_int,
    check_number,
    check_torch_device,
    check_type,
    describe,
)

SPLIT_NAMES = ("train", "val", "test")
NOISE_KINDS = ("gaussian", "laplace")


@dataclass(frozen=True)
class Dataset:
    """Inputs `x` of shape ``(n, ...)`` and targets `y` of shape ``(n, ...)``.

    Both are NumPy arrays of numbers (lists are converted), hold at least one
    example, and are finite: a NaN in the data is refused here, where it is
    easiest to find, rather than discovered as a NaN loss during training.
    """

    x: np.ndarray
    y: np.ndarray

    def __post_init__(self) -> None:
        for name in ("x", "y"):
            values = check_array(name, getattr(self, name), min_ndim=1)
            object.__setattr__(self, name, values)
        if len(self.x) != len(self.y):
            raise ValueError(
                f"x and y hold different numbers of examples: "
                f"{len(self.x)} and {len(self.y)}"
            )
        if len(self.x) == 0:
            raise ValueError(
                "x and y hold no examples: a Dataset needs at least one"
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

    def __post_init__(self) -> None:
        for name in SPLIT_NAMES:
            check_type(name, getattr(self, name), Dataset)
        for name in ("mean", "std"):
            check_array(name, getattr(self, name), ndim=1)

    def __getitem__(self, name: str) -> Dataset:
        """The split called `name`: ``"train"``, ``"val"`` or ``"test"``."""
        if not isinstance(name, str) or name not in SPLIT_NAMES:
            raise KeyError(
                f"unknown split {name!r}; choose from {', '.join(SPLIT_NAMES)}"
            )
        return getattr(self, name)


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
    in training (some corners are always blank) keep a scale of 1. `dtype`
    is the floating-point type of the inputs (an integer type would truncate
    the standardized pixels, so it is refused).
    """
    fraction = dict(low=0, high=1, low_open=True, high_open=True)
    val_fraction = check_number("val_fraction", val_fraction, **fraction)
    test_fraction = check_number("test_fraction", test_fraction, **fraction)
    seed = check_int("seed", seed, low=0, high=2**32 - 1)
    standardize = check_bool("standardize", standardize)
    dtype = check_dtype("dtype", dtype, "f")
    if val_fraction + test_fraction >= 1.0:
        raise ValueError(
            f"val_fraction + test_fraction must leave room for training, got "
            f"{val_fraction} + {test_fraction}"
        )
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

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
    """A linear regression set ``y = x @ weights + bias + noise``.

    Inputs have shape ``(n_samples, n_features)``, targets ``(n_samples,)``.

    `noise` is ``"gaussian"`` or ``"laplace"``, both with standard deviation
    `noise_std`. A share `outlier_fraction` of the targets is then moved up by
    `outlier_shift`. Returns the data and the true weights (drawn from the seed
    when not given). Inputs are standard normal, in float64.
    """
    n_samples = check_int("n_samples", n_samples, low=1)
    n_features = check_int("n_features", n_features, low=1)
    if weights is not None:
        weights = check_array("weights", weights, shape=(n_features,), kind="fiu")
    bias = check_number("bias", bias)
    noise = check_choice("noise", noise, NOISE_KINDS)
    noise_std = check_number("noise_std", noise_std, low=0)
    outlier_fraction = check_number(
        "outlier_fraction", outlier_fraction, low=0, high=1, high_open=True
    )
    outlier_shift = check_number("outlier_shift", outlier_shift)
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    if weights is None:
        weights = rng.uniform(-2.0, 2.0, size=n_features)
    weights = weights.astype(np.float64)
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
    """Gaussian clusters, one per class.

    Inputs have shape ``(n_samples, n_features)`` (float64), labels
    ``(n_samples,)`` (integers from 0).

    Class centres sit 3 units from the origin (evenly around a circle in 2-D);
    `spread` is each cluster's standard deviation, so a larger one makes the
    classes overlap more. Classes are balanced and the rows shuffled.
    """
    n_classes = check_int("n_classes", n_classes, low=2)
    n_samples = check_int("n_samples", n_samples, low=n_classes)
    n_features = check_int("n_features", n_features, low=2)
    spread = check_number("spread", spread, low=0, low_open=True)
    rng = np.random.default_rng(check_int("seed", seed, low=0))
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
    n = check_int("n", n, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    shuffle, drop_last = (
        check_bool("shuffle", shuffle),
        check_bool("drop_last", drop_last),
    )
    seed, epoch = check_int("seed", seed, low=0), check_int("epoch", epoch, low=0)
    if drop_last and batch_size > n:
        raise ValueError(
            f"batch_size {batch_size} exceeds the {n} examples, "
            "so drop_last would drop them all"
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
    """Yields the batches of :func:`batch_indices`, one epoch per iteration."""

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
    check_type("data", data, Dataset, "an mlcourse Dataset")
    sampler = _EpochSampler(len(data), batch_size, shuffle, seed, drop_last)
    device = check_torch_device("device", device)
    import torch
    from torch.utils.data import DataLoader, TensorDataset

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

    check_type("data", data, Dataset, "an mlcourse Dataset")
    sampler = _EpochSampler(len(data), batch_size, shuffle, seed, drop_last)
    tf = import_tensorflow()
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
    Anything that is not numbers (``None``, strings, ragged lists) is refused.
    """
    library = type(value).__module__.split(".")[0]
    if library == "torch":  # possibly on a GPU, or needing grad
        return value.detach().cpu().numpy().copy()
    if library in ("tensorflow", "keras"):  # an eager tensor or a variable
        return np.array(value.numpy(), copy=True)
    try:
        array = np.array(value, copy=True)
    except (ValueError, TypeError) as error:  # ragged nested lists
        raise TypeError(
            f"value must be an array, a tensor or a number, "
            f"got {describe(value)}: {error}"
        ) from None
    if array.dtype.kind not in "biufc":
        raise TypeError(
            f"value must be an array, a tensor or a number, "
            f"got {describe(value)} (dtype {array.dtype})"
        )
    return array
