"""Tests of mlcourse.data: digits splits, synthetic sets, batching and loaders."""

import numpy as np
import pytest

import mlcourse as mc


@pytest.fixture(scope="module")
def digits():
    return mc.load_digits_splits(seed=0)


def test_digits_splits_partition_the_data_set(digits):
    from sklearn.datasets import load_digits

    sizes = [len(digits[name]) for name in ("train", "val", "test")]
    assert sum(sizes) == 1797
    assert sizes[1] == pytest.approx(0.2 * 1797, abs=2) and sizes[
        2
    ] == pytest.approx(0.2 * 1797, abs=2)
    labels = np.concatenate([digits.train.y, digits.val.y, digits.test.y])
    assert np.array_equal(np.bincount(labels), np.bincount(load_digits().target))
    for split in (
        digits.train,
        digits.val,
        digits.test,
    ):  # stratified: every class present
        assert split.x.shape[1] == 64 and split.x.dtype == np.float32
        assert set(np.unique(split.y)) == set(range(10))


def test_digits_standardized_with_training_statistics_only(digits):
    raw = digits.train.x * digits.std + digits.mean  # undo the scaling
    varying = digits.std != 1.0
    np.testing.assert_allclose(digits.train.x.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(
        digits.train.x[:, varying].std(axis=0), 1.0, rtol=1e-4
    )
    np.testing.assert_allclose(raw.mean(axis=0), digits.mean, rtol=1e-5, atol=1e-5)
    # validation data were scaled with the training statistics, so they are not exactly centred
    assert np.abs(digits.val.x.mean(axis=0)).max() > 1e-3


def test_digits_unstandardized_keeps_pixel_values():
    raw = mc.load_digits_splits(standardize=False)
    assert raw.train.x.min() == 0 and raw.train.x.max() == 16


def test_digits_split_is_seeded(digits):
    again = mc.load_digits_splits(seed=0)
    other = mc.load_digits_splits(seed=1)
    assert np.array_equal(again.train.x, digits.train.x)
    assert not np.array_equal(other.train.x, digits.train.x)


def test_unknown_split_is_named(digits):
    with pytest.raises(
        KeyError, match="unknown split 'valid'; choose from train, val, test"
    ):
        digits["valid"]


@pytest.mark.parametrize("val, test", [(0.0, 0.2), (0.2, 1.0), (0.6, 0.5)])
def test_bad_split_fractions_are_refused(val, test):
    with pytest.raises(ValueError, match="fraction"):
        mc.load_digits_splits(val, test)


def test_dataset_refuses_mismatched_lengths_and_non_finite_values():
    with pytest.raises(ValueError, match="different numbers of examples: 3 and 2"):
        mc.Dataset(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="x holds 1 non-finite"):
        mc.Dataset(np.array([[0.0], [np.nan]]), np.zeros(2))
    with pytest.raises(ValueError, match="y holds 1 non-finite"):
        mc.Dataset(np.zeros((2, 1)), np.array([0.0, np.inf]))


def test_make_regression_without_noise_is_exactly_linear():
    data, w = mc.make_regression(50, 3, bias=0.5, noise_std=0.0, seed=3)
    design = np.c_[data.x, np.ones(50)]
    coef, *_ = np.linalg.lstsq(design, data.y, rcond=None)
    np.testing.assert_allclose(coef, np.r_[w, 0.5], atol=1e-12)


@pytest.mark.parametrize("noise", ["gaussian", "laplace"])
def test_make_regression_noise_has_the_requested_spread(noise):
    data, w = mc.make_regression(
        20_000, 1, weights=[2.0], noise=noise, noise_std=0.5, seed=0
    )
    residual = data.y - data.x @ w
    assert residual.std() == pytest.approx(0.5, rel=0.03)
    # Laplace noise has heavier tails: kurtosis 6 against the Gaussian's 3
    kurtosis = np.mean(residual**4) / np.mean(residual**2) ** 2
    assert kurtosis == pytest.approx(3.0 if noise == "gaussian" else 6.0, rel=0.15)


def test_make_regression_outliers_are_shifted_up():
    data, w = mc.make_regression(
        100, 1, noise_std=0.0, outlier_fraction=0.1, outlier_shift=7.0
    )
    shifts = data.y - data.x @ w
    assert (
        np.sum(np.isclose(shifts, 7.0)) == 10
        and np.sum(np.isclose(shifts, 0.0)) == 90
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"noise": "cauchy"}, "unknown noise 'cauchy'"),
        ({"noise_std": -1}, "noise_std"),
        ({"outlier_fraction": 1.0}, "outlier_fraction"),
        ({"weights": [1.0, 2.0]}, "weights must have shape"),
        ({"n_samples": 0}, "n_samples must be an integer >= 1"),
    ],
)
def test_make_regression_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mc.make_regression(**kwargs)


def test_make_blobs_is_balanced_and_shaped():
    data = mc.make_blobs(301, 4, n_features=5, spread=0.5, seed=2)
    assert data.x.shape == (301, 5) and data.y.dtype == np.int64
    assert sorted(np.bincount(data.y)) == [75, 75, 75, 76]
    centre_distance = np.linalg.norm(
        np.stack([data.x[data.y == k].mean(axis=0) for k in range(4)]), axis=1
    )
    np.testing.assert_allclose(centre_distance, 3.0, atol=0.3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_classes": 1}, "n_classes must be an integer >= 2"),
        ({"n_samples": 2}, "n_samples must be an integer >= 3"),
        ({"spread": 0.0}, "spread"),
        ({"n_features": 1}, "n_features must be an integer >= 2"),
    ],
)
def test_make_blobs_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mc.make_blobs(**kwargs)


def test_batch_indices_cover_each_example_once():
    batches = mc.batch_indices(10, 4, seed=1)
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches)) == list(range(10))
    assert [len(b) for b in mc.batch_indices(10, 4, drop_last=True)] == [4, 4]
    assert np.array_equal(
        np.concatenate(mc.batch_indices(5, 2, shuffle=False)), np.arange(5)
    )


def test_batch_indices_reshuffle_every_epoch_reproducibly():
    epoch0 = np.concatenate(mc.batch_indices(100, 10, seed=5, epoch=0))
    epoch1 = np.concatenate(mc.batch_indices(100, 10, seed=5, epoch=1))
    assert not np.array_equal(epoch0, epoch1)
    assert np.array_equal(
        epoch0, np.concatenate(mc.batch_indices(100, 10, seed=5, epoch=0))
    )


@pytest.mark.parametrize(
    "n, batch_size, kwargs, error, match",
    [
        (0, 4, {}, ValueError, "n must be an integer >= 1"),
        (10, 0, {}, ValueError, "batch_size must be an integer >= 1"),
        (10, 2.0, {}, TypeError, "batch_size must be an integer"),
        (3, 4, {"drop_last": True}, ValueError, "drop_last would drop them all"),
    ],
)
def test_batch_indices_reject_bad_arguments(n, batch_size, kwargs, error, match):
    with pytest.raises(error, match=match):
        mc.batch_indices(n, batch_size, **kwargs)


def test_torch_and_tensorflow_see_the_same_batches():
    data = mc.make_blobs(50, 2, seed=0)
    loader = mc.torch_loader(data, 16, seed=4)
    dataset = mc.tf_dataset(data, 16, seed=4)
    assert len(loader) == 4
    for _ in range(3):  # three epochs, each reshuffled the same way in both
        torch_batches, tf_batches = list(loader), list(dataset)
        assert len(torch_batches) == len(tf_batches) == 4
        for (xt, yt), (xf, yf) in zip(torch_batches, tf_batches):
            assert np.array_equal(xt.numpy(), xf.numpy()) and np.array_equal(
                yt.numpy(), yf.numpy()
            )
    assert str(xt.dtype) == "torch.float64" and str(yt.dtype) == "torch.int64"


def test_an_empty_data_set_is_refused_before_any_loader():
    with pytest.raises(ValueError, match="hold no examples"):
        mc.Dataset(np.zeros((0, 2)), np.zeros(0, dtype=np.int64))


def test_a_dataset_of_lists_becomes_arrays():
    data = mc.Dataset([[0.0, 1.0], [2.0, 3.0]], [0, 1])
    assert isinstance(data.x, np.ndarray) and data.x.shape == (2, 2)
    assert data.y.dtype.kind == "i"


def test_digits_refuse_an_integer_dtype():
    with pytest.raises(TypeError, match="dtype must be a floating-point dtype"):
        mc.load_digits_splits(dtype=np.int8)
    assert mc.load_digits_splits(dtype=np.float64).train.x.dtype == np.float64


def test_to_numpy_accepts_every_framework():
    import torch

    tf = mc.import_tensorflow()
    needs_grad = torch.ones(2, requires_grad=True) * 3
    assert np.array_equal(mc.to_numpy(needs_grad), [3.0, 3.0])
    assert np.array_equal(mc.to_numpy(tf.Variable([1.0, 2.0])), [1.0, 2.0])
    assert np.array_equal(mc.to_numpy([1, 2]), [1, 2])


def test_to_numpy_always_copies():
    import torch

    tensor, array = torch.zeros(3), np.zeros(3)
    from_tensor, from_array = mc.to_numpy(tensor), mc.to_numpy(array)
    tensor += 1
    array += 1
    assert from_tensor.sum() == 0 and from_array.sum() == 0


def test_tf_dataset_knows_its_length_and_drops_the_last_batch_on_request():
    tf = mc.import_tensorflow()
    data = mc.make_blobs(50, 2, seed=0)
    assert int(mc.tf_dataset(data, 16).cardinality()) == 4
    dropped = mc.tf_dataset(data, 16, drop_last=True)
    assert int(dropped.cardinality()) == 3
    assert [len(x) for x, _ in dropped] == [16, 16, 16]
    assert tf.data.experimental.cardinality(dropped) == 3
