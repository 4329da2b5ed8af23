"""Every public callable of mlcourse refuses bad input with a clear error.

One table: each row calls one public function, class or method with one bad
argument (of the wrong type, the wrong shape, NaN or infinite, empty,
negative, an unknown option, None...) and names the exception it must raise
and a regex its message must match, which names the argument. Every row must
also fail *in mlcourse*, with a built-in exception: an error raised deep
inside NumPy, PyTorch or TensorFlow, or a message such as "'NoneType' object
has no attribute", does not count as clear.

:func:`test_every_public_callable_has_rows` enumerates the public API (the
``__all__`` of ``mlcourse``, ``mlcourse.reference`` and ``mlcourse.training``,
and the public names of the modules below) and fails when a public callable
that takes arguments has no row, so the table grows with the package. The
exemptions are explicit sets, each with its reason.
"""

from __future__ import annotations

import importlib
import inspect
import re

import bad_input_rows_parallel_gpt
import bad_input_rows_precision_compression
import bad_input_rows_training_well
import numpy as np
import pytest
from bad_input_table import (
    INF,
    NAN,
    NOT_A_BOOL,
    NOT_A_CHOICE,
    NOT_A_STRING,
    NOT_CALLABLE,
    OBSCURE,
    ROWS,
    add,
    integers,
    numbers,
    one,
    probability,
    qualified,
)

import mlcourse as mc
from mlcourse import crosscheck, display, runtime, timing, training, validation
from mlcourse.data import Dataset, Splits
from mlcourse.models import digits_mlp
from mlcourse.reference import losses, optimizers, schedules, surfaces
from mlcourse.reference.autograd import Tensor, softmax_cross_entropy, unbroadcast
from mlcourse.reference.autograd_scalar import Scalar, topological_order
from mlcourse.training import callbacks, history, lr_range, tf_loop, torch_loop

# The modules this table covers in full.
MODULES = [
    "mlcourse.runtime",
    "mlcourse.validation",
    "mlcourse.data",
    "mlcourse.crosscheck",
    "mlcourse.display",
    "mlcourse.plotting",
    "mlcourse.timing",
    "mlcourse.models",
    "mlcourse.reference.autograd",
    "mlcourse.reference.autograd_scalar",
    "mlcourse.reference.losses",
    "mlcourse.reference.optimizers",
    "mlcourse.reference.schedules",
    "mlcourse.reference.surfaces",
    "mlcourse.training.callbacks",
    "mlcourse.training.history",
    "mlcourse.training.torch_loop",
    "mlcourse.training.tf_loop",
    "mlcourse.training.lr_range",
]

# Methods that are public only to be overridden: the library calls them
# after checking what it passes (a subclass would add the same checks again).
HOOKS = {
    **dict.fromkeys(
        [
            f"mlcourse.reference.optimizers.{cls}.{method}"
            for cls, method in [
                ("Optimizer", "init_state"),
                ("Optimizer", "update"),
                ("SGD", "init_state"),
                ("SGD", "update"),
                ("AdaGrad", "init_state"),
                ("AdaGrad", "update"),
                ("RMSProp", "init_state"),
                ("RMSProp", "update"),
                ("Adam", "init_state"),
                ("Adam", "update"),
                ("Adam", "adam_step"),
                ("AdamW", "update"),
            ]
        ],
        "called by Optimizer.step, after it checked the parameters and gradients",
    ),
    **dict.fromkeys(
        [
            f"mlcourse.reference.schedules.{cls}.rate"
            for cls in [
                "Schedule",
                "Constant",
                "StepDecay",
                "ExponentialDecay",
                "CosineDecay",
                "LinearWarmup",
                "OneCycle",
            ]
        ],
        "called by Schedule.__call__, after it checked the steps",
    ),
    **dict.fromkeys(
        [
            f"mlcourse.training.callbacks.{name}"
            for name in [
                "TrainingRun.train_epoch",
                "TrainingRun.set_weights",
                "TrainingRun.save",
                "Callback.on_train_begin",
                "Callback.on_epoch_begin",
                "Callback.on_epoch_end",
                "Callback.on_train_end",
                "EarlyStopping.on_train_begin",
                "EarlyStopping.on_epoch_end",
                "EarlyStopping.on_train_end",
                "Checkpoint.on_train_begin",
                "Checkpoint.on_epoch_end",
            ]
        ],
        "called by run_epochs with the run and logs it built",
    ),
}

# Public callables with no bad input to give.
NOTHING_TO_REFUSE = {
    "mlcourse.validation.describe": "describes any value, for an error message",
    "mlcourse.training.history.Best": (
        "a NamedTuple record that History.best builds from checked values"
    ),
}

# The later modules' rows live in their own files (they add to ROWS on import).
for later in (
    bad_input_rows_training_well,
    bad_input_rows_precision_compression,
    bad_input_rows_parallel_gpt,
):
    MODULES += later.MODULES
    HOOKS.update(later.HOOKS)
    NOTHING_TO_REFUSE.update(later.NOTHING_TO_REFUSE)

# Operators count as public methods; other dunders (__repr__, __eq__) do not.
OPERATORS = {
    "__call__",
    "__getitem__",
    "__add__",
    "__radd__",
    "__sub__",
    "__rsub__",
    "__mul__",
    "__rmul__",
    "__truediv__",
    "__rtruediv__",
    "__pow__",
    "__matmul__",
    "__rmatmul__",
}


# ---------------------------------------------------------------- shared fixtures
def blobs(n=16, dtype=np.float32):
    data = mc.make_blobs(n, 3, n_features=4, seed=0)
    return Dataset(data.x.astype(dtype), data.y)


def torch_args(**overrides):
    import torch

    model = torch.nn.Linear(4, 3)
    args = dict(
        model=model,
        train_loader=mc.torch_loader(blobs(), 8),
        loss_fn=torch.nn.CrossEntropyLoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        epochs=1,
        progress=False,
    )
    args.update(overrides)
    return args


def torch_eval_args(**overrides):
    import torch

    args = dict(
        model=torch.nn.Linear(4, 3),
        loader=mc.torch_loader(blobs(), 8),
        loss_fn=torch.nn.CrossEntropyLoss(),
    )
    args.update(overrides)
    return args


def keras_model():
    tf = mc.import_tensorflow()
    return tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3)])


def tf_args(**overrides):
    tf = mc.import_tensorflow()
    args = dict(
        model=keras_model(),
        train_dataset=mc.tf_dataset(blobs(), 8),
        loss_fn=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=tf.keras.optimizers.SGD(0.1),
        epochs=1,
        progress=False,
    )
    args.update(overrides)
    return args


def tf_eval_args(**overrides):
    tf = mc.import_tensorflow()
    args = dict(
        model=keras_model(),
        dataset=mc.tf_dataset(blobs(), 8),
        loss_fn=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    args.update(overrides)
    return args


def axes():
    from matplotlib.figure import Figure

    return Figure().add_subplot()


def nan_torch_loss(outputs, targets):
    return outputs.sum() * float("nan")


def nan_tf_loss(targets, outputs):
    tf = mc.import_tensorflow()
    return tf.reduce_sum(outputs) * float("nan")


class Fit(training.Callback):
    """A do-nothing callback."""


def scripted_run():
    return callbacks.TrainingRun(model=None, metric_names=(), has_validation=False)


# ================================================================ mlcourse.runtime
add(
    runtime.seed_everything,
    "seed",
    lambda v: mc.seed_everything(v, ()),
    integers(0, 2**32 - 1),
)
add(
    runtime.seed_everything,
    "frameworks",
    lambda v: mc.seed_everything(0, v),
    [
        (None, TypeError),
        (3, TypeError),
        ([3], TypeError),
        ({"torch": 1}, TypeError),
    ],
)
add(
    runtime.seed_everything,
    "framework",
    lambda v: mc.seed_everything(0, v),
    [("jax", ValueError), (["torch", "jax"], ValueError)],
)
add(
    runtime.pick_device,
    "device",
    mc.pick_device,
    [
        ("bogus", ValueError),
        (3, ValueError),
        ("gpu", ValueError),
        ("CUDA", ValueError),
    ],
)
add(mc.RunInfo, "seed", lambda v: mc.RunInfo(v, "cpu", "CPU"), integers(0))
add(mc.RunInfo, "device", lambda v: mc.RunInfo(0, v, "CPU"), NOT_A_CHOICE)
add(mc.RunInfo, "device_name", lambda v: mc.RunInfo(0, "cpu", v), NOT_A_STRING)
add(
    mc.RunInfo,
    "versions",
    lambda v: mc.RunInfo(0, "cpu", "CPU", v),
    [(None, TypeError), (["2.0"], TypeError)],
)
add(
    mc.RunInfo,
    "tensorflow_device",
    lambda v: mc.RunInfo(0, "cpu", "CPU", {}, v),
    [("TPU", ValueError), (3, ValueError)],
)
add(
    mc.setup,
    "seed",
    lambda v: mc.setup(v, (), verbose=False),
    integers(0, 2**32 - 1),
)
add(
    mc.setup,
    "frameworks",
    lambda v: mc.setup(0, v, verbose=False),
    [(None, TypeError), ([None], TypeError)],
)
add(
    mc.setup,
    "framework",
    lambda v: mc.setup(0, v, verbose=False),
    [("jax", ValueError)],
)
add(
    mc.setup,
    "device",
    lambda v: mc.setup(0, (), device=v, verbose=False),
    [("gpu", ValueError), (3, ValueError)],
)
add(
    mc.setup, "style", lambda v: mc.setup(0, (), style=v, verbose=False), NOT_A_BOOL
)
add(mc.setup, "verbose", lambda v: mc.setup(0, (), verbose=v), NOT_A_BOOL)

add(
    runtime.filtered_stderr,
    "noise",
    lambda v: runtime.filtered_stderr(v).__enter__(),
    [(None, TypeError), ("noise", TypeError)],
)

# ================================================================ mlcourse.validation
add(
    validation.check_number,
    "x",
    lambda v: validation.check_number("x", v, low=0, high=1),
    numbers(0, 1),
)
add(
    validation.check_number,
    "x",
    lambda v: validation.check_number("x", v, low=0, low_open=True, allow_inf=True),
    [(0.0, ValueError), (-INF, ValueError), (NAN, ValueError), (None, TypeError)],
)
add(
    validation.check_int,
    "n",
    lambda v: validation.check_int("n", v, low=1, high=9),
    integers(1, 9),
)
add(
    validation.check_bool,
    "flag",
    lambda v: validation.check_bool("flag", v),
    NOT_A_BOOL,
)
add(
    validation.check_choice,
    "mode",
    lambda v: validation.check_choice("mode", v, ("min", "max")),
    NOT_A_CHOICE + [([1], ValueError)],
)
add(
    validation.check_callable,
    "fn",
    lambda v: validation.check_callable("fn", v),
    NOT_CALLABLE,
)
add(
    validation.check_type,
    "data",
    lambda v: validation.check_type("data", v, Dataset),
    [(None, TypeError), (np.ones(2), TypeError)],
)
add(
    validation.check_path,
    "path",
    lambda v: validation.check_path("path", v),
    [(None, TypeError), ("", TypeError), (3, TypeError)],
)
add(
    validation.check_sequence,
    "items",
    lambda v: validation.check_sequence("items", v, of=int, non_empty=True),
    [
        (None, TypeError),
        ("ab", TypeError),
        ({"a": 1}, TypeError),
        (3, TypeError),
        (np.ones(2), TypeError),
        ([], ValueError),
        ([1, "2"], TypeError),
    ],
)
add(
    validation.check_dtype,
    "dtype",
    lambda v: validation.check_dtype("dtype", v),
    [
        (None, TypeError),
        (np.int8, TypeError),
        ("bogus", TypeError),
        (bool, TypeError),
        (3, TypeError),
    ],
)
add(
    validation.check_array,
    "x",
    lambda v: validation.check_array(
        "x", v, ndim=2, kind="f", non_empty=True, low=0
    ),
    [
        (None, TypeError),
        ("abc", TypeError),
        ([[1.0], [1.0, 2.0]], TypeError),
        (np.ones((2, 2), dtype=int), TypeError),
        (np.ones(3), ValueError),
        (np.zeros((0, 2)), ValueError),
        (np.array([[NAN]]), ValueError),
        (np.array([[INF]]), ValueError),
        (np.array([[-1.0]]), ValueError),
    ],
)
add(
    validation.check_array,
    "x",
    lambda v: validation.check_array("x", v, shape=(None, 3), min_ndim=1),
    [(np.ones((2, 2)), ValueError), (np.ones(3), ValueError), (3.0, ValueError)],
)
add(
    validation.check_torch_device,
    "device",
    lambda v: validation.check_torch_device("device", v),
    [
        ("gpu", ValueError),
        ("cuda:x", ValueError),
        (3, TypeError),
        (None, TypeError),
    ],
)

# ================================================================ mlcourse.data
X2, Y2 = np.zeros((2, 3)), np.array([0, 1])
add(
    Dataset,
    "x",
    lambda v: Dataset(v, Y2),
    [
        (None, TypeError),
        ("abc", TypeError),
        ([[1.0], [1.0, 2.0]], TypeError),
        (3.0, ValueError),
        (np.array([[NAN, 0, 0], [0, 0, 0]]), ValueError),
        (np.array([[INF, 0, 0], [0, 0, 0]]), ValueError),
        (np.zeros((2, 3), dtype=complex), TypeError),
    ],
)
add(
    Dataset,
    "y",
    lambda v: Dataset(X2, v),
    [
        (None, TypeError),
        (np.array(["a", "b"]), TypeError),
        (np.array([0.0, NAN]), ValueError),
        (np.array([0, 1, 2]), ValueError),
    ],
)
one(
    Dataset,
    "empty",
    lambda: Dataset(np.zeros((0, 3)), np.zeros(0)),
    ValueError,
    "x and y hold no examples",
)
SPLIT = Dataset(X2, Y2)
add(
    Splits,
    "train",
    lambda v: Splits(v, SPLIT, SPLIT, np.zeros(3), np.ones(3)),
    [(None, TypeError), ((X2, Y2), TypeError)],
)
add(
    Splits,
    "test",
    lambda v: Splits(SPLIT, SPLIT, v, np.zeros(3), np.ones(3)),
    [(None, TypeError)],
)
add(
    Splits,
    "std",
    lambda v: Splits(SPLIT, SPLIT, SPLIT, np.zeros(3), v),
    [
        (None, TypeError),
        (np.ones((3, 3)), ValueError),
        (np.array([1.0, NAN, 1.0]), ValueError),
    ],
)
add(
    Splits.__getitem__,
    "split",
    lambda v: Splits(SPLIT, SPLIT, SPLIT, np.zeros(3), np.ones(3))[v],
    [("valid", KeyError), (None, KeyError), (0, KeyError)],
)
add(
    mc.load_digits_splits,
    "val_fraction",
    lambda v: mc.load_digits_splits(v),
    probability(),
)
add(
    mc.load_digits_splits,
    "test_fraction",
    lambda v: mc.load_digits_splits(0.2, v),
    probability(),
)
add(
    mc.load_digits_splits,
    "val_fraction + test_fraction",
    lambda v: mc.load_digits_splits(0.5, v),
    [(0.5, ValueError), (0.7, ValueError)],
)
add(
    mc.load_digits_splits,
    "seed",
    lambda v: mc.load_digits_splits(seed=v),
    integers(0, 2**32 - 1),
)
add(
    mc.load_digits_splits,
    "standardize",
    lambda v: mc.load_digits_splits(standardize=v),
    NOT_A_BOOL,
)
add(
    mc.load_digits_splits,
    "dtype",
    lambda v: mc.load_digits_splits(dtype=v),
    [
        (np.int8, TypeError),
        (int, TypeError),
        (None, TypeError),
        ("bogus", TypeError),
    ],
)
add(mc.make_regression, "n_samples", lambda v: mc.make_regression(v), integers(1))
add(
    mc.make_regression,
    "n_features",
    lambda v: mc.make_regression(10, v),
    integers(1),
)
add(
    mc.make_regression,
    "weights",
    lambda v: mc.make_regression(10, 2, weights=v),
    [
        (np.ones(3), ValueError),
        ([1.0, NAN], ValueError),
        ([1.0, INF], ValueError),
        ("ab", TypeError),
        ([], ValueError),
    ],
)
add(mc.make_regression, "bias", lambda v: mc.make_regression(bias=v), numbers())
add(
    mc.make_regression,
    "noise",
    lambda v: mc.make_regression(noise=v),
    NOT_A_CHOICE + [("Gaussian", ValueError)],
)
add(
    mc.make_regression,
    "noise_std",
    lambda v: mc.make_regression(noise_std=v),
    numbers(0),
)
add(
    mc.make_regression,
    "outlier_fraction",
    lambda v: mc.make_regression(outlier_fraction=v),
    numbers(0, 1, high_open=True),
)
add(
    mc.make_regression,
    "outlier_shift",
    lambda v: mc.make_regression(outlier_shift=v),
    numbers(),
)
add(mc.make_regression, "seed", lambda v: mc.make_regression(seed=v), integers(0))
add(mc.make_blobs, "n_samples", lambda v: mc.make_blobs(v, 3), integers(3))
add(mc.make_blobs, "n_classes", lambda v: mc.make_blobs(30, v), integers(2))
add(mc.make_blobs, "n_features", lambda v: mc.make_blobs(n_features=v), integers(2))
add(
    mc.make_blobs,
    "spread",
    lambda v: mc.make_blobs(spread=v),
    numbers(0, low_open=True),
)
add(mc.make_blobs, "seed", lambda v: mc.make_blobs(seed=v), integers(0))
add(mc.batch_indices, "n", lambda v: mc.batch_indices(v, 4), integers(1))
add(mc.batch_indices, "batch_size", lambda v: mc.batch_indices(10, v), integers(1))
add(
    mc.batch_indices,
    "shuffle",
    lambda v: mc.batch_indices(10, 4, shuffle=v),
    NOT_A_BOOL,
)
add(
    mc.batch_indices, "seed", lambda v: mc.batch_indices(10, 4, seed=v), integers(0)
)
add(
    mc.batch_indices,
    "epoch",
    lambda v: mc.batch_indices(10, 4, epoch=v),
    integers(0),
)
add(
    mc.batch_indices,
    "drop_last",
    lambda v: mc.batch_indices(10, 4, drop_last=v),
    NOT_A_BOOL,
)
one(
    mc.batch_indices,
    "drop_last-all",
    lambda: mc.batch_indices(3, 4, drop_last=True),
    ValueError,
    "batch_size 4 exceeds the 3 examples",
)
add(
    mc.torch_loader,
    "data",
    lambda v: mc.torch_loader(v, 4),
    [(None, TypeError), (X2, TypeError), ((X2, Y2), TypeError)],
)
add(mc.torch_loader, "batch_size", lambda v: mc.torch_loader(SPLIT, v), integers(1))
add(
    mc.torch_loader,
    "shuffle",
    lambda v: mc.torch_loader(SPLIT, 1, shuffle=v),
    NOT_A_BOOL,
)
add(
    mc.torch_loader,
    "device",
    lambda v: mc.torch_loader(SPLIT, 1, device=v),
    [("gpu", ValueError), (None, TypeError), (0.5, TypeError)],
)
add(
    mc.tf_dataset,
    "data",
    lambda v: mc.tf_dataset(v, 4),
    [(None, TypeError), (X2, TypeError)],
)
add(mc.tf_dataset, "batch_size", lambda v: mc.tf_dataset(SPLIT, v), integers(1))
add(mc.tf_dataset, "seed", lambda v: mc.tf_dataset(SPLIT, 1, seed=v), integers(0))
add(
    mc.to_numpy,
    "value",
    mc.to_numpy,
    [
        (None, TypeError),
        ("abc", TypeError),
        ([[1.0], [1.0, 2.0]], TypeError),
        ({"a": 1}, TypeError),
        (object(), TypeError),
    ],
)

# ================================================================ mlcourse.crosscheck
add(
    crosscheck.Agreement,
    "max_abs_diff",
    lambda v: crosscheck.Agreement(v, {("a", "b"): 0.0}, 0.0, 0.0),
    [(None, TypeError), ({}, ValueError), ([0.0], TypeError)],
)
add(
    crosscheck.Agreement,
    "rtol",
    lambda v: crosscheck.Agreement({("a", "b"): 0.0}, {("a", "b"): 0.0}, v, 0.0),
    numbers(0),
)
add(
    mc.assert_agree,
    "values",
    lambda v: mc.assert_agree(v, rtol=0, atol=0),
    [
        (None, TypeError),
        ([1.0, 1.0], TypeError),
        ({"a": 1.0}, ValueError),
        ({}, ValueError),
    ],
)
add(
    mc.assert_agree,
    "values['a']",
    lambda v: mc.assert_agree({"a": v, "b": 1.0}, rtol=0, atol=0),
    [(None, TypeError), ("1.0", TypeError), ([[1.0], [1.0, 2.0]], TypeError)],
    match=r"values\['a'\]",
)
add(
    mc.assert_agree,
    "rtol",
    lambda v: mc.assert_agree({"a": 1, "b": 1}, rtol=v, atol=0),
    numbers(0),
)
add(
    mc.assert_agree,
    "atol",
    lambda v: mc.assert_agree({"a": 1, "b": 1}, rtol=0, atol=v),
    numbers(0),
)
add(
    mc.assert_agree,
    "equal_nan",
    lambda v: mc.assert_agree({"a": 1, "b": 1}, rtol=0, atol=0, equal_nan=v),
    NOT_A_BOOL,
)

# ================================================================ mlcourse.display
add(
    display.show_source,
    "obj",
    display.show_source,
    [
        (None, TypeError),
        (3, TypeError),
        (len, TypeError),
        ("def f(): pass", TypeError),
    ],
)
add(
    display.glue,
    "name",
    lambda v: display.glue(v, 1.0),
    [
        (None, TypeError),
        (3, TypeError),
        ("", ValueError),
        ("two words", ValueError),
    ],
)
add(
    display.glue,
    "value",
    lambda v: display.glue("chapter_x", v),
    [(None, TypeError)],
    match=r"value for 'chapter_x' is None",
)
add(
    display.glue,
    "display",
    lambda v: display.glue("chapter_x", 1.0, display=v),
    NOT_A_BOOL,
)
add(
    display.scientific_math,
    "value",
    display.scientific_math,
    [
        (None, TypeError),
        ("1e-3", TypeError),
        (True, TypeError),
        (np.ones(2), TypeError),
    ],
)
add(
    display.scientific_math,
    "digits",
    lambda v: display.scientific_math(0.5, v),
    integers(0, 15),
)
add(
    display.glue_sci,
    "name",
    lambda v: display.glue_sci(v, 1.0),
    [(None, TypeError), ("", ValueError)],
)
add(
    display.glue_sci,
    "value",
    lambda v: display.glue_sci("chapter_x", v),
    [(None, TypeError), ("small", TypeError), (np.ones(2), TypeError)],
)
add(
    display.glue_sci,
    "digits",
    lambda v: display.glue_sci("chapter_x", 1.0, v),
    integers(0, 15),
)
add(
    display.wrap,
    "width",
    lambda v: display.wrap("some text", v),
    integers(20, None),
)

# ================================================================ mlcourse.timing
add(
    timing.synchronize,
    "device",
    timing.synchronize,
    [
        (None, TypeError),
        (3, TypeError),
        ("gpu", ValueError),
        ("cuda:x", ValueError),
        ("tpu:0", ValueError),
    ],
)
add(
    timing.Timing,
    "seconds",
    timing.Timing,
    [(None, TypeError), (0.5, TypeError), ((), ValueError), ("ab", TypeError)],
)
add(
    timing.Timing,
    "seconds[0]",
    lambda v: timing.Timing((v,)),
    numbers(0),
    match=r"seconds\[0\]",
)
add(timing.measure, "fn", timing.measure, NOT_CALLABLE)
add(
    timing.measure,
    "repeats",
    lambda v: timing.measure(lambda: None, repeats=v),
    integers(1),
)
add(
    timing.measure,
    "warmup",
    lambda v: timing.measure(lambda: None, warmup=v),
    integers(0),
)
add(
    timing.measure,
    "device",
    lambda v: timing.measure(lambda: None, device=v),
    [(None, TypeError), ("gpu", ValueError)],
)

# ================================================================ mlcourse.models
add(digits_mlp, "seed", digits_mlp, integers(0))
add(digits_mlp, "hidden", lambda v: digits_mlp(hidden=v), integers(1))
add(
    digits_mlp,
    "device",
    lambda v: digits_mlp(device=v),
    [("gpu", ValueError), (None, TypeError), (1.5, TypeError)],
)

# ================================================================ mlcourse.reference.autograd
G23 = np.ones((2, 3))
add(
    unbroadcast,
    "grad",
    lambda v: unbroadcast(v, (3,)),
    [(None, TypeError), ("ab", TypeError), ([[1.0], [1.0, 2.0]], TypeError)],
)
add(
    unbroadcast,
    "shape",
    lambda v: unbroadcast(G23, v),
    [
        (None, TypeError),
        (3, TypeError),
        ("ab", TypeError),
        ((2.5,), TypeError),
        ((-1,), ValueError),
    ],
)
add(
    unbroadcast,
    "shape",
    lambda v: unbroadcast(G23, v),
    [
        ((2,), ValueError),
        ((4, 3), ValueError),
        ((1, 2, 3, 1), ValueError),
        ((3, 1), ValueError),
    ],
    match=r"shape \(.*\) does not broadcast to the gradient's shape \(2, 3\)",
)
add(
    Tensor,
    "data",
    Tensor,
    [
        (None, TypeError),
        ("a", TypeError),
        ([[1.0], [1.0, 2.0]], TypeError),
        (np.ones(2, dtype=complex), TypeError),
        ({"a": 1}, TypeError),
    ],
)
add(Tensor, "requires_grad", lambda v: Tensor(1.0, requires_grad=v), NOT_A_BOOL)
add(
    Tensor.from_op,
    "parents",
    lambda v: Tensor.from_op(np.ones(2), v, "op"),
    [(None, TypeError), ([np.ones(2)], TypeError), (Tensor(1.0), TypeError)],
)
add(
    Tensor.from_op,
    "op",
    lambda v: Tensor.from_op(np.ones(2), (), v),
    [(None, TypeError), (3, TypeError)],
)
add(
    Tensor.from_op,
    "data",
    lambda v: Tensor.from_op(v, (), "op"),
    [(None, TypeError), ("ab", TypeError)],
)
add(
    Tensor.add_to_grad,
    "grad",
    lambda v: Tensor(G23, requires_grad=True).add_to_grad(v),
    [(None, TypeError), ("ab", TypeError)],
)
add(
    Tensor.add_to_grad,
    "shape",
    lambda v: Tensor(G23, requires_grad=True).add_to_grad(v),
    [(np.ones(4), ValueError), (np.ones((2, 1)), ValueError)],
    match="does not broadcast to the gradient's shape",
)
NOT_AN_OPERAND = [
    ("a", TypeError),
    (None, TypeError),
    ([1.0, 2.0], TypeError),
    (True, TypeError),
]
COMBINES = "a Tensor combines with numbers, NumPy arrays and Tensors"
BROADCAST = r"shapes \(.*\) do not broadcast: trailing axes must match or be 1"
for operator, make in [
    (Tensor.__add__, lambda v: Tensor(G23) + v),
    (Tensor.__mul__, lambda v: Tensor(G23) * v),
    (Tensor.__sub__, lambda v: Tensor(G23) - v),
    (Tensor.__truediv__, lambda v: Tensor(G23) / v),
]:
    add(operator, "other", make, NOT_AN_OPERAND, match=COMBINES)
    add(
        operator,
        "other",
        make,
        [(np.ones(2), ValueError), (Tensor(np.ones((3, 2))), ValueError)],
        match=BROADCAST,
    )
for operator, make in [
    (Tensor.__radd__, lambda v: v + Tensor(G23)),
    (Tensor.__rmul__, lambda v: v * Tensor(G23)),
    (Tensor.__rsub__, lambda v: v - Tensor(G23)),
    (Tensor.__rtruediv__, lambda v: v / Tensor(G23)),
]:
    add(
        operator,
        "other",
        make,
        [("a", TypeError), (None, TypeError), ([1.0, 2.0], TypeError)],
        match=COMBINES,
    )
    add(operator, "other", make, [(np.ones(2), ValueError)], match=BROADCAST)
add(
    Tensor.__matmul__,
    "other",
    lambda v: Tensor(G23) @ v,
    [("a", TypeError), (None, TypeError)],
    match=COMBINES,
)
add(
    Tensor.__matmul__,
    "other",
    lambda v: Tensor(G23) @ v,
    [(np.ones((2, 2)), ValueError)],
    match=r"matmul: inner dimensions differ, \(2, 3\) @ \(2, 2\)",
)
add(
    Tensor.__matmul__,
    "other",
    lambda v: Tensor(G23) @ v,
    [(np.ones(3), ValueError)],
    match="matmul needs two 2-D arrays",
)
add(
    Tensor.__rmatmul__,
    "other",
    lambda v: v @ Tensor(G23),
    [(np.ones((2, 3)), ValueError)],
    match="matmul: inner dimensions differ",
)
add(
    Tensor.__rmatmul__,
    "other",
    lambda v: Tensor.__rmatmul__(Tensor(G23), v),
    [("a", TypeError)],
    match=COMBINES,
)
add(
    Tensor.__pow__,
    "exponent",
    lambda v: Tensor(G23) ** v,
    [
        (None, TypeError),
        ("2", TypeError),
        (NAN, ValueError),
        (INF, ValueError),
        (np.ones(2), TypeError),
    ],
)
add(
    Tensor.__pow__,
    "exponent",
    lambda v: Tensor(G23) ** v,
    [(Tensor(2.0), TypeError)],
    match="only a constant exponent is supported",
)
for method in (Tensor.sum, Tensor.mean):
    add(
        method,
        "axis",
        lambda v, m=method: m(Tensor(G23), axis=v),
        [
            (2, ValueError),
            (-3, ValueError),
            ("0", TypeError),
            (0.5, TypeError),
            ((0, 5), ValueError),
            ((0, 0), ValueError),
            ((0, -2), ValueError),
        ],
        match=r"axis",
    )
    add(
        method,
        "keepdims",
        lambda v, m=method: m(Tensor(G23), keepdims=v),
        NOT_A_BOOL,
    )
add(
    Tensor.backward,
    "grad",
    lambda v: (Tensor(G23, requires_grad=True) * 2).backward(v),
    [(None, ValueError), ("ab", TypeError), (np.ones(3), ValueError)],
    match=r"grad|backward\(\) on shape \(2, 3\) needs grad=",
)
one(
    Tensor.backward,
    "no-grad",
    lambda: Tensor(G23).sum().backward(),
    ValueError,
    "backward\\(\\) on a tensor that does not require grad",
)
LOGITS = Tensor(np.zeros((2, 3)))
add(
    softmax_cross_entropy,
    "logits",
    lambda v: softmax_cross_entropy(v, np.array([0, 1])),
    [(None, TypeError), (np.zeros((2, 3)), TypeError)],
)
add(
    softmax_cross_entropy,
    "logits",
    lambda v: softmax_cross_entropy(Tensor(v), np.array([0, 1])),
    [
        (np.zeros(3), ValueError),
        (np.array([[NAN, 0, 0], [0, 0, 0]]), ValueError),
        (np.array([[INF, 0, 0], [0, 0, 0]]), ValueError),
    ],
)
add(
    softmax_cross_entropy,
    "labels",
    lambda v: softmax_cross_entropy(LOGITS, v),
    [
        (None, TypeError),
        (np.array([0.0, 1.0]), TypeError),
        (np.array([0, 1, 2]), ValueError),
        (np.array([0, 3]), ValueError),
        (np.array([-1, 0]), ValueError),
        ("ab", TypeError),
    ],
)
one(
    softmax_cross_entropy,
    "empty",
    lambda: softmax_cross_entropy(Tensor(np.zeros((0, 3))), np.zeros(0, dtype=int)),
    ValueError,
    "logits is empty",
)

# ================================================================ mlcourse.reference.autograd_scalar
add(
    topological_order,
    "root",
    topological_order,
    [(None, TypeError), (3.0, TypeError), (np.ones(2), TypeError)],
)
add(
    Scalar,
    "value",
    Scalar,
    [
        (None, TypeError),
        ("1.0", TypeError),
        (True, TypeError),
        ([1.0], TypeError),
        (np.ones(2), TypeError),
        (1 + 2j, TypeError),
    ],
)
SCALAR_OPERAND = "a Scalar combines with numbers and Scalars"
NOT_A_SCALAR_OPERAND = [
    ("a", TypeError),
    (None, TypeError),
    ([1.0], TypeError),
    (True, TypeError),
]
for operator, make in [
    (Scalar.__add__, lambda v: Scalar(1.0) + v),
    (Scalar.__mul__, lambda v: Scalar(1.0) * v),
    (Scalar.__sub__, lambda v: Scalar(1.0) - v),
    (Scalar.__truediv__, lambda v: Scalar(1.0) / v),
]:
    add(
        operator,
        "other",
        make,
        NOT_A_SCALAR_OPERAND + [(np.ones(2), TypeError)],
        match=SCALAR_OPERAND,
    )
# On the right of an operator, a NumPy array applies it to each entry (an
# array of Scalars, a NumPy feature); other values reach the Scalar's method.
for operator, make in [
    (Scalar.__radd__, lambda v: v + Scalar(1.0)),
    (Scalar.__rmul__, lambda v: v * Scalar(1.0)),
    (Scalar.__rsub__, lambda v: v - Scalar(1.0)),
    (Scalar.__rtruediv__, lambda v: v / Scalar(1.0)),
]:
    add(operator, "other", make, NOT_A_SCALAR_OPERAND, match=SCALAR_OPERAND)
add(
    Scalar.__pow__,
    "exponent",
    lambda v: Scalar(2.0) ** v,
    [
        (None, TypeError),
        ("2", TypeError),
        (NAN, ValueError),
        (INF, ValueError),
        (True, TypeError),
    ],
)
add(
    Scalar.__pow__,
    "exponent",
    lambda v: Scalar(2.0) ** v,
    [(Scalar(2.0), TypeError)],
    match="only a constant exponent is supported",
)

# ================================================================ mlcourse.reference.losses
P3 = np.zeros(3)
BAD_PRED = [
    (None, TypeError),
    ("abc", TypeError),
    ([[1.0], [1.0, 2.0]], TypeError),
    (np.array([0.0, NAN, 0.0]), ValueError),
    (np.array([INF, 0.0, 0.0]), ValueError),
    (np.zeros((3, 1)), ValueError),
    (np.zeros(0), ValueError),
]
for loss in (losses.mse, losses.mae, losses.huber):
    add(loss, "pred", lambda v, f=loss: f(v, P3), BAD_PRED)
    add(loss, "target", lambda v, f=loss: f(P3, v), BAD_PRED)
    add(
        loss,
        "reduction",
        lambda v, f=loss: f(P3, P3, reduction=v),
        NOT_A_CHOICE + [("avg", ValueError)],
    )
add(
    losses.huber,
    "delta",
    lambda v: losses.huber(P3, P3, delta=v),
    numbers(0, low_open=True),
)
BAD_LOGITS = [
    (None, TypeError),
    ("abc", TypeError),
    (3.0, ValueError),
    (np.array(["a", "b"]), TypeError),
]
for function in (losses.logsumexp, losses.log_softmax, losses.softmax):
    add(function, "logits", function, BAD_LOGITS)
    add(
        function,
        "axis",
        lambda v, f=function: f(np.zeros((2, 3)), axis=v),
        integers(-2, 1),
    )
L23, Y01 = np.zeros((2, 3)), np.array([0, 1])
BAD_CLASS_LOGITS = [
    (None, TypeError),
    ("abc", TypeError),
    (np.zeros(3), ValueError),
    (np.zeros((2, 3, 1)), ValueError),
    (np.array([[NAN, 0, 0], [0, 0, 0]]), ValueError),
    (np.array([[0, -INF, 0], [0, 0, 0]]), ValueError),
    (np.zeros((0, 3)), ValueError),
]
BAD_LABELS = [
    (None, TypeError),
    (np.array([0.0, 1.0]), TypeError),
    (np.array([True, False]), TypeError),
    (np.array([0, 1, 2]), ValueError),
    (np.array([0, 3]), ValueError),
    (np.array([-1, 0]), ValueError),
    (np.array([[0], [1]]), ValueError),
]
for function in (losses.check_logits_and_labels, losses.cross_entropy):
    add(function, "logits", lambda v, f=function: f(v, Y01), BAD_CLASS_LOGITS)
    add(function, "labels", lambda v, f=function: f(L23, v), BAD_LABELS)
add(
    losses.cross_entropy,
    "class_weights",
    lambda v: losses.cross_entropy(L23, Y01, class_weights=v),
    [
        ("abc", TypeError),
        (np.ones(2), ValueError),
        (np.array([1.0, NAN, 1.0]), ValueError),
        (np.array([1.0, INF, 1.0]), ValueError),
        (np.array([1.0, -1.0, 1.0]), ValueError),
    ],
)
add(
    losses.cross_entropy,
    "class_weights",
    lambda v: losses.cross_entropy(L23, Y01, class_weights=v),
    [(np.array([0.0, 0.0, 1.0]), ValueError)],
    match="class_weights of the labels in this batch sum to 0",
)
add(
    losses.cross_entropy,
    "label_smoothing",
    lambda v: losses.cross_entropy(L23, Y01, label_smoothing=v),
    numbers(0, 1),
)
add(
    losses.cross_entropy,
    "reduction",
    lambda v: losses.cross_entropy(L23, Y01, reduction=v),
    NOT_A_CHOICE,
)
BCE = losses.binary_cross_entropy_with_logits
add(BCE, "logits", lambda v: BCE(v, P3), BAD_PRED)
add(
    BCE,
    "targets",
    lambda v: BCE(P3, v),
    BAD_PRED
    + [
        (np.array([0.0, 2.0, 0.0]), ValueError),
        (np.array([0.0, -0.5, 1.0]), ValueError),
    ],
)
add(BCE, "reduction", lambda v: BCE(P3, P3, reduction=v), NOT_A_CHOICE)

# ================================================================ mlcourse.reference.optimizers
BAD_LR = [
    (None, TypeError),
    ("0.1", TypeError),
    (True, TypeError),
    ([0.1], TypeError),
    (NAN, ValueError),
    (INF, ValueError),
    (-0.1, ValueError),
]
BAD_SCHEDULES = [
    (lambda: 0.1, TypeError),
    (lambda step: "0.1", TypeError),
    (lambda step: -1.0, ValueError),
    (lambda step: NAN, ValueError),
    (lambda step: None, TypeError),
]
for cls in (
    optimizers.Optimizer,
    optimizers.SGD,
    optimizers.AdaGrad,
    optimizers.RMSProp,
    optimizers.Adam,
    optimizers.AdamW,
):
    add(cls, "lr", cls, BAD_LR)
    add(cls, "lr", cls, BAD_SCHEDULES, match=r"lr(\(0\))? must be")
add(
    optimizers.SGD,
    "momentum",
    lambda v: optimizers.SGD(0.1, momentum=v),
    numbers(0, 1, high_open=True),
)
add(
    optimizers.SGD,
    "nesterov",
    lambda v: optimizers.SGD(0.1, momentum=0.9, nesterov=v),
    NOT_A_BOOL,
)
one(
    optimizers.SGD,
    "nesterov-without-momentum",
    lambda: optimizers.SGD(0.1, nesterov=True),
    ValueError,
    "nesterov=True needs momentum > 0",
)
add(
    optimizers.SGD,
    "weight_decay",
    lambda v: optimizers.SGD(0.1, weight_decay=v),
    numbers(0),
)
add(
    optimizers.SGD,
    "lr_in_velocity",
    lambda v: optimizers.SGD(0.1, lr_in_velocity=v),
    NOT_A_BOOL,
)
add(optimizers.AdaGrad, "eps", lambda v: optimizers.AdaGrad(0.1, eps=v), numbers(0))
add(
    optimizers.AdaGrad,
    "initial_accumulator",
    lambda v: optimizers.AdaGrad(0.1, initial_accumulator=v),
    numbers(0),
)
add(
    optimizers.AdaGrad,
    "eps_inside_sqrt",
    lambda v: optimizers.AdaGrad(0.1, eps_inside_sqrt=v),
    NOT_A_BOOL,
)
add(
    optimizers.RMSProp,
    "rho",
    lambda v: optimizers.RMSProp(0.1, rho=v),
    numbers(0, 1, high_open=True),
)
add(optimizers.RMSProp, "eps", lambda v: optimizers.RMSProp(0.1, eps=v), numbers(0))
add(
    optimizers.RMSProp,
    "eps_inside_sqrt",
    lambda v: optimizers.RMSProp(0.1, eps_inside_sqrt=v),
    NOT_A_BOOL,
)
for cls in (optimizers.Adam, optimizers.AdamW):
    add(
        cls,
        "beta1",
        lambda v, c=cls: c(0.1, beta1=v),
        numbers(0, 1, high_open=True),
    )
    add(
        cls,
        "beta2",
        lambda v, c=cls: c(0.1, beta2=v),
        numbers(0, 1, high_open=True),
    )
    add(cls, "eps", lambda v, c=cls: c(0.1, eps=v), numbers(0))
    add(cls, "weight_decay", lambda v, c=cls: c(0.1, weight_decay=v), numbers(0))
    add(
        cls,
        "bias_correction",
        lambda v, c=cls: c(0.1, bias_correction=v),
        NOT_A_BOOL,
    )
    add(cls, "eps_hat", lambda v, c=cls: c(0.1, eps_hat=v), NOT_A_BOOL)
W, B = np.zeros((3, 2)), np.zeros(2)
STEP = optimizers.Optimizer.step
add(
    STEP,
    "params",
    lambda v: optimizers.SGD(0.1).step(v, [np.ones((3, 2))]),
    [(None, TypeError), (W, TypeError), ("w", TypeError), ({"w": W}, TypeError)],
)
add(
    STEP,
    "params",
    lambda v: optimizers.SGD(0.1).step(v, []),
    [([], ValueError)],
    match="params is empty",
)
add(
    STEP,
    "parameter 0",
    lambda v: optimizers.SGD(0.1).step([v], [np.ones(2)]),
    [
        (None, TypeError),
        ([0.0, 0.0], TypeError),
        (np.zeros(2, dtype=int), TypeError),
    ],
)
add(
    STEP,
    "grads",
    lambda v: optimizers.SGD(0.1).step([W], v),
    [(None, TypeError), (np.ones((3, 2)), TypeError), ("g", TypeError)],
)
add(
    STEP,
    "gradient of parameter 0",
    lambda v: optimizers.SGD(0.1).step([W], [v]),
    [
        (None, TypeError),
        ("ab", TypeError),
        (np.full((3, 2), NAN), ValueError),
        (np.full((3, 2), INF), ValueError),
        (np.ones((3, 2), dtype=complex), TypeError),
    ],
)
add(
    STEP,
    "gradient 0",
    lambda v: optimizers.SGD(0.1).step([W], [v]),
    [(np.ones((2, 3)), ValueError), (np.ones(6), ValueError)],
    match=r"parameter 0 has shape \(3, 2\) but its gradient has shape",
)
one(
    STEP,
    "count",
    lambda: optimizers.SGD(0.1).step([W, B], [np.ones((3, 2))]),
    ValueError,
    "got 2 parameters but 1 gradients",
)
add(
    optimizers.make_optimizer,
    "name",
    lambda v: optimizers.make_optimizer(v, lr=0.1),
    [(None, TypeError), (3, TypeError), (optimizers.SGD, TypeError)],
)
add(
    optimizers.make_optimizer,
    "optimizer",
    lambda v: optimizers.make_optimizer(v, lr=0.1),
    [("adamax", ValueError), ("", ValueError)],
)

# ================================================================ mlcourse.reference.schedules
BAD_STEPS = [
    (None, TypeError),
    ("3", TypeError),
    (True, TypeError),
    (-1, ValueError),
    (NAN, ValueError),
    (INF, ValueError),
    (np.array([0, -1]), ValueError),
    (np.array([0.0, NAN]), ValueError),
    ([[1], [1, 2]], TypeError),
]
add(
    schedules.Schedule.__call__,
    "step",
    lambda v: schedules.Constant(0.1)(v),
    BAD_STEPS,
)
add(schedules.Constant, "lr", schedules.Constant, numbers(0))
add(schedules.StepDecay, "lr", lambda v: schedules.StepDecay(v, 10), numbers(0))
add(
    schedules.StepDecay,
    "step_size",
    lambda v: schedules.StepDecay(0.1, v),
    integers(1),
)
add(
    schedules.StepDecay,
    "gamma",
    lambda v: schedules.StepDecay(0.1, 10, v),
    numbers(0),
)
add(
    schedules.ExponentialDecay,
    "lr",
    lambda v: schedules.ExponentialDecay(v, 0.9),
    numbers(0),
)
add(
    schedules.ExponentialDecay,
    "gamma",
    lambda v: schedules.ExponentialDecay(0.1, v),
    numbers(0, low_open=True),
)
add(schedules.CosineDecay, "lr", lambda v: schedules.CosineDecay(v, 10), numbers(0))
add(
    schedules.CosineDecay,
    "total_steps",
    lambda v: schedules.CosineDecay(0.1, v),
    integers(1),
)
add(
    schedules.CosineDecay,
    "min_lr",
    lambda v: schedules.CosineDecay(0.1, 10, v),
    numbers(0, 0.1),
)
add(
    schedules.LinearWarmup,
    "after",
    lambda v: schedules.LinearWarmup(v, 10),
    [
        (None, TypeError),
        ("0.1", TypeError),
        (lambda step: 0.1, TypeError),
        (-0.1, ValueError),
        (NAN, ValueError),
        (INF, ValueError),
        (True, TypeError),
    ],
)
add(
    schedules.LinearWarmup,
    "warmup_steps",
    lambda v: schedules.LinearWarmup(0.1, v),
    integers(1),
)
add(
    schedules.LinearWarmup,
    "start_factor",
    lambda v: schedules.LinearWarmup(0.1, 10, v),
    numbers(0, 1),
)
add(schedules.OneCycle, "max_lr", lambda v: schedules.OneCycle(v, 100), numbers(0))
add(
    schedules.OneCycle,
    "total_steps",
    lambda v: schedules.OneCycle(0.1, v),
    integers(1),
)
add(
    schedules.OneCycle,
    "pct_start",
    lambda v: schedules.OneCycle(0.1, 100, v),
    numbers(0, 1),
)
add(
    schedules.OneCycle,
    "pct_start",
    lambda v: schedules.OneCycle(0.1, 3, v),
    [(0.1, ValueError), (1.0, ValueError)],
    match="pct_start=.* leaves no room for both phases in total_steps=3",
)
add(
    schedules.OneCycle,
    "div_factor",
    lambda v: schedules.OneCycle(0.1, 100, div_factor=v),
    numbers(1),
)
add(
    schedules.OneCycle,
    "final_div_factor",
    lambda v: schedules.OneCycle(0.1, 100, final_div_factor=v),
    numbers(1),
)
add(
    schedules.make_schedule,
    "name",
    lambda v: schedules.make_schedule(v, lr=0.1),
    [(None, TypeError), (3, TypeError)],
)
add(
    schedules.make_schedule,
    "schedule",
    lambda v: schedules.make_schedule(v, lr=0.1),
    [("linear", ValueError), ("", ValueError)],
)

# ================================================================ mlcourse.reference.surfaces
add(
    surfaces.Quadratic,
    "curvatures",
    surfaces.Quadratic,
    [
        (None, TypeError),
        ("ab", TypeError),
        ((1.0, 2.0, 3.0), ValueError),
        ((1.0,), ValueError),
        ((1.0, NAN), ValueError),
        ((INF, 1.0), ValueError),
    ],
)
add(
    surfaces.Quadratic,
    "curvatures[0]",
    surfaces.Quadratic,
    [((0.0, 1.0), ValueError), ((-1.0, 1.0), ValueError)],
    match=r"curvatures\[0\] must be > 0",
)
add(surfaces.Quadratic, "angle", lambda v: surfaces.Quadratic(angle=v), numbers())
add(
    surfaces.Quadratic,
    "minimum",
    lambda v: surfaces.Quadratic(minimum=v),
    [
        (None, TypeError),
        ((1.0,), ValueError),
        ((NAN, 0.0), ValueError),
        ("ab", TypeError),
    ],
)
BAD_POINTS = [
    (None, TypeError),
    ("ab", TypeError),
    (np.zeros(3), ValueError),
    (2.0, ValueError),
    (np.zeros((4, 3)), ValueError),
    ([[1.0], [1.0, 2.0]], TypeError),
]
for function in (surfaces.Quadratic(), surfaces.Rosenbrock()):
    add(type(function).__call__, "w", function, BAD_POINTS)
    add(type(function).grad, "w", function.grad, BAD_POINTS)
add(surfaces.Rosenbrock, "a", surfaces.Rosenbrock, numbers())
add(
    surfaces.Rosenbrock,
    "b",
    lambda v: surfaces.Rosenbrock(b=v),
    numbers(0, low_open=True),
)
PLOT = surfaces.plot_trajectories
add(
    PLOT,
    "ax",
    lambda v: PLOT(v, surfaces.Quadratic(), {}, xlim=(-1, 1), ylim=(-1, 1)),
    [(None, TypeError), ("ax", TypeError)],
)
add(
    PLOT,
    "function",
    lambda v: PLOT(axes(), v, {}, xlim=(-1, 1), ylim=(-1, 1)),
    NOT_CALLABLE,
)
add(
    PLOT,
    "trajectories",
    lambda v: PLOT(axes(), surfaces.Quadratic(), v, xlim=(-1, 1), ylim=(-1, 1)),
    [(None, TypeError), ([np.zeros((2, 2))], TypeError)],
)
add(
    PLOT,
    "trajectory 'a'",
    lambda v: PLOT(
        axes(), surfaces.Quadratic(), {"a": v}, xlim=(-1, 1), ylim=(-1, 1)
    ),
    [
        (None, TypeError),
        (np.zeros((3, 3)), ValueError),
        (np.zeros((2, 2, 2)), ValueError),
    ],
)
add(
    PLOT,
    "xlim",
    lambda v: PLOT(axes(), surfaces.Quadratic(), {}, xlim=v, ylim=(-1, 1)),
    [
        (None, TypeError),
        ((1.0, -1.0), ValueError),
        ((0.0, 0.0), ValueError),
        ((NAN, 1.0), ValueError),
        ((0.0, 1.0, 2.0), ValueError),
    ],
)
add(
    PLOT,
    "ylim",
    lambda v: PLOT(axes(), surfaces.Quadratic(), {}, xlim=(-1, 1), ylim=v),
    [(None, TypeError), ((-INF, 1.0), ValueError)],
)
add(
    PLOT,
    "levels",
    lambda v: PLOT(
        axes(), surfaces.Quadratic(), {}, xlim=(-1, 1), ylim=(-1, 1), levels=v
    ),
    [
        (0, ValueError),
        (-3, ValueError),
        ("ab", TypeError),
        (np.array([]), ValueError),
        (np.array([1.0, NAN]), ValueError),
        (None, TypeError),
    ],
)
add(
    PLOT,
    "log_levels",
    lambda v: PLOT(
        axes(), surfaces.Quadratic(), {}, xlim=(-1, 1), ylim=(-1, 1), log_levels=v
    ),
    NOT_A_BOOL,
)

# ================================================================ mlcourse.training.history
add(
    history.check_metrics,
    "metrics",
    history.check_metrics,
    [
        (None, TypeError),
        ("accuracy", TypeError),
        (3, TypeError),
        (("accuracy", "accuracy"), ValueError),
    ],
)
add(history.check_metrics, "metric", history.check_metrics, [(("f1",), ValueError)])
add(
    history.check_metrics,
    "metrics[0]",
    history.check_metrics,
    [([3], TypeError), ([None], TypeError)],
    match=r"metrics\[0\]",
)
add(history.metric_mode, "name", history.metric_mode, NOT_A_STRING)
add(
    history.metric_mode,
    "'val_f1'",
    history.metric_mode,
    [("val_f1", ValueError)],
    match="cannot tell whether 'val_f1' should go up or down",
)
add(
    history.check_mode,
    "mode",
    lambda v: history.check_mode(v, "val_loss"),
    NOT_A_CHOICE + [("best", ValueError)],
)
add(
    history.check_mode,
    "name",
    lambda v: history.check_mode("auto", v),
    NOT_A_STRING,
)
add(
    history.improved,
    "value",
    lambda v: history.improved(v, 1.0, "min"),
    [(None, TypeError), ("0.5", TypeError), (np.ones(2), TypeError)],
)
add(
    history.improved,
    "best",
    lambda v: history.improved(0.5, v, "min"),
    [("1.0", TypeError), (NAN, ValueError)],
)
add(
    history.improved,
    "mode",
    lambda v: history.improved(0.5, 1.0, v),
    NOT_A_CHOICE + [("auto", ValueError)],
)
add(
    history.improved,
    "min_delta",
    lambda v: history.improved(0.5, 1.0, "min", v),
    numbers(0),
)
add(
    history.History,
    "epochs",
    lambda v: history.History(epochs=v),
    [(None, TypeError), ((1, 2), TypeError)],
)
add(
    history.History,
    "metrics",
    lambda v: history.History(metrics=v),
    [(None, TypeError), ([("a", [1.0])], TypeError)],
)
add(
    history.History,
    "step_losses",
    lambda v: history.History(step_losses=v),
    [(None, TypeError)],
)
APPEND = history.History.append
add(
    APPEND,
    "epoch",
    lambda v: history.History().append(v, {"loss": 1.0}, [1.0], 0.1),
    integers(1),
)
add(
    APPEND,
    "logs",
    lambda v: history.History().append(1, v, [1.0], 0.1),
    [(None, TypeError), ([("loss", 1.0)], TypeError)],
)
add(
    APPEND,
    "logs['loss']",
    lambda v: history.History().append(1, {"loss": v}, [1.0], 0.1),
    [(None, TypeError), ("1.0", TypeError)],
    match=r"logs\['loss'\]",
)
add(
    APPEND,
    "logs key",
    lambda v: history.History().append(1, {v: 1.0}, [1.0], 0.1),
    [(1, TypeError), (None, TypeError)],
)
add(
    APPEND,
    "step_losses",
    lambda v: history.History().append(1, {"loss": 1.0}, v, 0.1),
    [(None, TypeError), (1.0, TypeError), ("ab", TypeError)],
)
add(
    APPEND,
    "step_losses[0]",
    lambda v: history.History().append(1, {"loss": 1.0}, [v], 0.1),
    [(None, TypeError), ("1.0", TypeError)],
    match=r"step_losses\[0\]",
)
add(
    APPEND,
    "seconds",
    lambda v: history.History().append(1, {"loss": 1.0}, [1.0], v),
    numbers(0),
)


def history_with_one_epoch():
    h = history.History()
    h.append(1, {"val_loss": 0.5}, [0.5], 0.1)
    return h


one(
    APPEND,
    "logs-change",
    lambda: history_with_one_epoch().append(2, {"loss": 1.0}, [], 0.1),
    ValueError,
    r"epoch 2 logs \['loss'\], earlier epochs \['val_loss'\]",
)
add(
    history.History.__getitem__,
    "metric",
    lambda v: history_with_one_epoch()[v],
    [("val_f1", KeyError), (None, KeyError), (3, KeyError)],
    match="no metric .* in this history; it has val_loss",
)
add(
    history.History.best,
    "metric",
    lambda v: history_with_one_epoch().best(v),
    [("val_f1", KeyError), (None, KeyError)],
    match="no metric",
)
add(
    history.History.best,
    "mode",
    lambda v: history_with_one_epoch().best("val_loss", v),
    NOT_A_CHOICE,
)
add(
    history.progress_enabled,
    "progress",
    history.progress_enabled,
    [("no", TypeError), ("False", TypeError), (1, TypeError), (0.0, TypeError)],
)
add(
    history.ProgressBar,
    "epochs",
    lambda v: history.ProgressBar(v, False),
    integers(1),
)
add(history.ProgressBar, "enabled", lambda v: history.ProgressBar(1, v), NOT_A_BOOL)
add(
    history.ProgressBar,
    "interval",
    lambda v: history.ProgressBar(1, False, v),
    numbers(0),
)
add(
    history.ProgressBar.start_epoch,
    "epoch",
    lambda v: history.ProgressBar(1, False).start_epoch(v, 10),
    integers(1),
)
add(
    history.ProgressBar.start_epoch,
    "steps",
    lambda v: history.ProgressBar(1, False).start_epoch(1, v),
    [("3", TypeError), (2.5, TypeError), (True, TypeError), (-1, ValueError)],
)
add(
    history.ProgressBar.update,
    "step",
    lambda v: history.ProgressBar(1, False).update(v, 0.5),
    integers(1),
)
add(
    history.ProgressBar.update,
    "loss",
    lambda v: history.ProgressBar(1, True, 0.0).update(1, v),
    [
        (None, TypeError),
        ("abc", TypeError),
        (np.ones(2), TypeError),
        ([0.5], TypeError),
    ],
)
add(
    history.ProgressBar.end_epoch,
    "logs",
    lambda v: history.ProgressBar(1, False).end_epoch(v, 0.1),
    [(None, TypeError), ([("loss", 1.0)], TypeError)],
)
add(
    history.ProgressBar.end_epoch,
    "seconds",
    lambda v: history.ProgressBar(1, False).end_epoch({}, v),
    numbers(0),
)
add(
    history.ProgressBar.note,
    "message",
    lambda v: history.ProgressBar(1, False).note(v),
    NOT_A_STRING,
)

# ================================================================ mlcourse.training.callbacks
TOTALS = callbacks.Totals
add(
    TOTALS,
    "losses",
    lambda v: TOTALS(v, [1], {}),
    [(None, TypeError), ((1.0,), TypeError)],
)
add(TOTALS, "sizes", lambda v: TOTALS([1.0], v, {}), [(None, TypeError)])
add(
    TOTALS,
    "metric_sums",
    lambda v: TOTALS([1.0], [1], v),
    [(None, TypeError), ([1.0], TypeError)],
)
add(
    TOTALS,
    "grad_norms",
    lambda v: TOTALS([1.0], [1], {}, v),
    [((1.0,), TypeError), (1.0, TypeError)],
)
add(
    TOTALS,
    "losses and sizes",
    lambda v: TOTALS([1.0, 2.0], v, {}),
    [([1], ValueError), ([], ValueError)],
)
add(TOTALS.logs, "prefix", lambda v: TOTALS([1.0], [1], {}).logs(v), NOT_A_STRING)
one(
    TOTALS.logs,
    "no-examples",
    lambda: TOTALS([], [], {}).logs("val_"),
    ValueError,
    "these totals count no examples",
)
add(
    callbacks.TrainingRun,
    "metric",
    lambda v: callbacks.TrainingRun(None, v, False),
    [(("f1",), ValueError)],
)
add(
    callbacks.TrainingRun,
    "metrics",
    lambda v: callbacks.TrainingRun(None, v, False),
    [("accuracy", TypeError), (None, TypeError)],
)
add(
    callbacks.TrainingRun,
    "has_validation",
    lambda v: callbacks.TrainingRun(None, (), v),
    NOT_A_BOOL,
)
add(
    training.EarlyStopping,
    "monitor",
    lambda v: training.EarlyStopping(v),
    NOT_A_STRING,
)
add(
    training.EarlyStopping,
    "'val_f1'",
    lambda v: training.EarlyStopping(v),
    [("val_f1", ValueError)],
    match="cannot tell whether 'val_f1' should go up or down; pass mode=",
)
add(
    training.EarlyStopping,
    "patience",
    lambda v: training.EarlyStopping(patience=v),
    integers(0),
)
add(
    training.EarlyStopping,
    "min_delta",
    lambda v: training.EarlyStopping(min_delta=v),
    numbers(0),
)
add(
    training.EarlyStopping,
    "mode",
    lambda v: training.EarlyStopping(mode=v),
    NOT_A_CHOICE + [("best", ValueError)],
)
add(
    training.EarlyStopping,
    "restore_best",
    lambda v: training.EarlyStopping(restore_best=v),
    NOT_A_BOOL,
)
add(
    training.Checkpoint,
    "path",
    training.Checkpoint,
    [(None, TypeError), ("", TypeError), (3, TypeError), (["a.pt"], TypeError)],
)
add(
    training.Checkpoint,
    "path",
    training.Checkpoint,
    [
        ("model-{step}.pt", ValueError),
        ("model-{}.pt", ValueError),
        ("model-{epoch.pt", ValueError),
    ],
    match=r"path may contain \{epoch\} and no other",
)
add(
    training.Checkpoint,
    "monitor",
    lambda v: training.Checkpoint("m.pt", monitor=v),
    NOT_A_STRING,
)
add(
    training.Checkpoint,
    "mode",
    lambda v: training.Checkpoint("m.pt", mode=v),
    NOT_A_CHOICE,
)
add(
    training.Checkpoint,
    "save_best_only",
    lambda v: training.Checkpoint("m.pt", save_best_only=v),
    NOT_A_BOOL,
)
add(
    callbacks.check_callbacks,
    "callbacks",
    callbacks.check_callbacks,
    [(None, TypeError), ("abc", TypeError), (Fit(), TypeError), (3, TypeError)],
)
add(
    callbacks.check_callbacks,
    "callbacks[0]",
    callbacks.check_callbacks,
    [([3], TypeError), ([None], TypeError), ([Fit], TypeError)],
    match=r"callbacks\[0\] must be Callback objects",
)
add(
    callbacks.first_non_finite,
    "losses",
    callbacks.first_non_finite,
    [(None, TypeError), (1.0, TypeError), ("ab", TypeError)],
)
add(
    callbacks.first_non_finite,
    "losses[0]",
    lambda v: callbacks.first_non_finite([v]),
    [(None, TypeError), ("1.0", TypeError)],
    match=r"losses\[0\]",
)
add(
    callbacks.check_finite,
    "train",
    lambda v: callbacks.check_finite(v, 1),
    [(None, TypeError), ([1.0], TypeError)],
)
add(
    callbacks.check_finite,
    "epoch",
    lambda v: callbacks.check_finite(TOTALS([1.0], [1], {}), v),
    integers(1),
)
RUN = callbacks.run_epochs
add(
    RUN,
    "run",
    lambda v: RUN(v, 1, [], history.ProgressBar(1, False)),
    [(None, TypeError), ("run", TypeError)],
)
add(
    RUN,
    "epochs",
    lambda v: RUN(scripted_run(), v, [], history.ProgressBar(1, False)),
    integers(1),
)
add(
    RUN,
    "callbacks",
    lambda v: RUN(scripted_run(), 1, v, history.ProgressBar(1, False)),
    [(None, TypeError), (Fit(), TypeError)],
)
add(
    RUN,
    "progress",
    lambda v: RUN(scripted_run(), 1, [], v),
    [(None, TypeError), (True, TypeError)],
)

# ================================================================ mlcourse.training.torch_loop
FIT_TORCH, EVAL_TORCH = torch_loop.fit_torch, torch_loop.evaluate_torch
add(
    FIT_TORCH,
    "model",
    lambda v: FIT_TORCH(**torch_args(model=v)),
    [(None, TypeError), ("mlp", TypeError), (lambda x: x, TypeError)],
)
add(
    FIT_TORCH,
    "train_loader",
    lambda v: FIT_TORCH(**torch_args(train_loader=v)),
    [
        (None, TypeError),
        (blobs(), TypeError),
        (np.zeros((4, 4)), TypeError),
        (3, TypeError),
        ("batches", TypeError),
    ],
)
add(
    FIT_TORCH,
    "train_loader",
    lambda v: FIT_TORCH(**torch_args(train_loader=v)),
    [
        ([np.zeros(4)], TypeError),
        ([(np.zeros((2, 4)), np.zeros(2))], TypeError),
        ([(1, 2, 3)], TypeError),
    ],
    match="train_loader must yield (.*pairs|pairs of tensors)",
)
add(
    FIT_TORCH,
    "val_loader",
    lambda v: FIT_TORCH(**torch_args(val_loader=v)),
    [(blobs(), TypeError), (3, TypeError)],
)
add(
    FIT_TORCH, "loss_fn", lambda v: FIT_TORCH(**torch_args(loss_fn=v)), NOT_CALLABLE
)
add(
    FIT_TORCH,
    "loss_fn",
    lambda v: FIT_TORCH(**torch_args(loss_fn=v)),
    [(lambda out, y: 1.0, TypeError), (lambda out, y: out, ValueError)],
    match="loss_fn must return (a tensor|one number)",
)
add(
    FIT_TORCH,
    "optimizer",
    lambda v: FIT_TORCH(**torch_args(optimizer=v)),
    [(None, TypeError), ("sgd", TypeError), (optimizers.SGD(0.1), TypeError)],
)
add(FIT_TORCH, "epochs", lambda v: FIT_TORCH(**torch_args(epochs=v)), integers(1))
add(
    FIT_TORCH,
    "metric",
    lambda v: FIT_TORCH(**torch_args(metrics=v)),
    [(("f1",), ValueError)],
)
add(
    FIT_TORCH,
    "metrics",
    lambda v: FIT_TORCH(**torch_args(metrics=v)),
    [(None, TypeError), ("accuracy", TypeError), (("mae", "mae"), ValueError)],
)
add(
    FIT_TORCH,
    "callbacks",
    lambda v: FIT_TORCH(**torch_args(callbacks=v)),
    [(None, TypeError), (Fit(), TypeError), ([3], TypeError)],
)
add(
    FIT_TORCH,
    "device",
    lambda v: FIT_TORCH(**torch_args(device=v)),
    [("gpu", ValueError), (3, TypeError)],
)
add(
    FIT_TORCH,
    "progress",
    lambda v: FIT_TORCH(**torch_args(progress=v)),
    [("no", TypeError), (1, TypeError)],
)
add(
    EVAL_TORCH,
    "model",
    lambda v: EVAL_TORCH(**torch_eval_args(model=v)),
    [(None, TypeError), ("mlp", TypeError)],
)
add(
    EVAL_TORCH,
    "loader",
    lambda v: EVAL_TORCH(**torch_eval_args(loader=v)),
    [(None, TypeError), (blobs(), TypeError), (3, TypeError)],
)
add(
    EVAL_TORCH,
    "loader",
    lambda v: EVAL_TORCH(**torch_eval_args(loader=v)),
    [([], ValueError)],
    match="the data gave no batches",
)
add(
    EVAL_TORCH,
    "loss_fn",
    lambda v: EVAL_TORCH(**torch_eval_args(loss_fn=v)),
    NOT_CALLABLE,
)
add(
    EVAL_TORCH,
    "loss",
    lambda v: EVAL_TORCH(**torch_eval_args(loss_fn=v)),
    [(nan_torch_loss, FloatingPointError)],
    match="loss became nan at batch 1",
)
add(
    EVAL_TORCH,
    "metric",
    lambda v: EVAL_TORCH(**torch_eval_args(metrics=v)),
    [(("f1",), ValueError)],
)
add(
    EVAL_TORCH,
    "metrics",
    lambda v: EVAL_TORCH(**torch_eval_args(metrics=v)),
    [(None, TypeError), ("accuracy", TypeError)],
)
add(
    EVAL_TORCH,
    "device",
    lambda v: EVAL_TORCH(**torch_eval_args(device=v)),
    [("gpu", ValueError), (3, TypeError)],
)

# ================================================================ mlcourse.training.tf_loop
FIT_TF, EVAL_TF = tf_loop.fit_tf, tf_loop.evaluate_tf
add(
    FIT_TF,
    "model",
    lambda v: FIT_TF(**tf_args(model=v)),
    [(None, TypeError), ("mlp", TypeError)],
)
add(
    FIT_TF,
    "train_dataset",
    lambda v: FIT_TF(**tf_args(train_dataset=v)),
    [(None, TypeError), (blobs(), TypeError), (np.zeros((4, 4)), TypeError)],
)
add(
    FIT_TF,
    "val_dataset",
    lambda v: FIT_TF(**tf_args(val_dataset=v)),
    [(blobs(), TypeError), (3, TypeError)],
)
add(FIT_TF, "loss_fn", lambda v: FIT_TF(**tf_args(loss_fn=v)), NOT_CALLABLE)
add(
    FIT_TF,
    "optimizer",
    lambda v: FIT_TF(**tf_args(optimizer=v)),
    [(None, TypeError), ("sgd", TypeError), (optimizers.SGD(0.1), TypeError)],
)
add(FIT_TF, "epochs", lambda v: FIT_TF(**tf_args(epochs=v)), integers(1))
add(
    FIT_TF,
    "metric",
    lambda v: FIT_TF(**tf_args(metrics=v)),
    [(("f1",), ValueError)],
)
add(
    FIT_TF,
    "metrics",
    lambda v: FIT_TF(**tf_args(metrics=v)),
    [(None, TypeError), ("accuracy", TypeError)],
)
add(
    FIT_TF,
    "callbacks",
    lambda v: FIT_TF(**tf_args(callbacks=v)),
    [(None, TypeError), (Fit(), TypeError)],
)
add(
    FIT_TF, "progress", lambda v: FIT_TF(**tf_args(progress=v)), [("no", TypeError)]
)
add(FIT_TF, "compile", lambda v: FIT_TF(**tf_args(compile=v)), NOT_A_BOOL)
add(
    EVAL_TF,
    "model",
    lambda v: EVAL_TF(**tf_eval_args(model=v)),
    [(None, TypeError), ("mlp", TypeError)],
)
add(
    EVAL_TF,
    "dataset",
    lambda v: EVAL_TF(**tf_eval_args(dataset=v)),
    [(None, TypeError), (blobs(), TypeError)],
)
add(EVAL_TF, "loss_fn", lambda v: EVAL_TF(**tf_eval_args(loss_fn=v)), NOT_CALLABLE)
add(
    EVAL_TF,
    "loss",
    lambda v: EVAL_TF(**tf_eval_args(loss_fn=v)),
    [(nan_tf_loss, FloatingPointError)],
    match="loss became nan at batch 1",
)
add(
    EVAL_TF,
    "metric",
    lambda v: EVAL_TF(**tf_eval_args(metrics=v)),
    [(("f1",), ValueError)],
)
add(EVAL_TF, "compile", lambda v: EVAL_TF(**tf_eval_args(compile=v)), NOT_A_BOOL)


# ================================================================ the tests
# ================================================================ mlcourse.training.lr_range
def range_test_args(**overrides):
    import torch

    model = torch.nn.Linear(4, 3)
    args = dict(
        model=model,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        loader=mc.torch_loader(blobs(), 8),
        loss_fn=torch.nn.CrossEntropyLoss(),
    )
    args.update(overrides)
    return args


for name, bad in [
    ("model", [(None, TypeError), ("net", TypeError)]),
    ("optimizer", [(None, TypeError), ("sgd", TypeError)]),
    ("loss_fn", [(None, TypeError), ("mse", TypeError)]),
    ("lr_start", numbers(0, low_open=True)),
    ("lr_end", [(1e-9, ValueError), (np.nan, ValueError), ("1", TypeError)]),
    ("max_steps", integers(2)),
    ("stop_factor", numbers(1, low_open=True)),
]:
    add(
        lr_range.range_test,
        name,
        lambda v, name=name: lr_range.range_test(**range_test_args(**{name: v})),
        bad,
    )
add(
    lr_range.range_test,
    "loader",
    lambda v: lr_range.range_test(**range_test_args(loader=v)),
    [([], ValueError)],
    match="loader gave no batches",
)
add(
    lr_range.smooth,
    "values",
    lr_range.smooth,
    [
        (None, TypeError),
        ([], ValueError),
        (np.ones((2, 2)), ValueError),
        (["a"], TypeError),
    ],
)
add(
    lr_range.smooth,
    "beta",
    lambda v: lr_range.smooth([1.0], v),
    numbers(0, 1, high_open=True),
)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_bad_input_gets_a_clear_error(row, capsys):
    with pytest.raises(BaseException) as caught:
        row.call()
    error, message = caught.value, str(caught.value)
    assert isinstance(error, row.error), f"{type(error).__name__}: {message}"
    assert type(error).__module__ == "builtins", type(error)
    assert re.search(row.match, message), (
        f"{message!r} does not match {row.match!r}"
    )
    assert not OBSCURE.match(message.lstrip("'\"")), message
    raised_in = caught.traceback[-1].path
    assert "mlcourse" in str(raised_in), (
        f"raised in {raised_in}, not by a check: {message}"
    )


def public_callables() -> set[str]:
    """Qualified names of the public callables that take arguments."""
    found = set()
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            if (
                name.startswith("_")
                or getattr(obj, "__module__", None) != module_name
            ):
                continue
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if takes_arguments(obj, is_method=False):
                found.add(qualified(obj))
            if inspect.isclass(obj):
                for method_name, method in vars(obj).items():
                    if method_name.startswith("_") and method_name not in OPERATORS:
                        continue
                    function = (
                        method.__func__
                        if isinstance(method, staticmethod)
                        else method
                    )
                    if inspect.isfunction(function) and takes_arguments(
                        function, is_method=not isinstance(method, staticmethod)
                    ):
                        found.add(qualified(function))
    return found


def takes_arguments(obj, *, is_method: bool) -> bool:
    try:
        parameters = list(inspect.signature(obj).parameters)
    except ValueError:  # no Python signature: an exception class's built-in init
        return False
    return len(parameters) > (1 if is_method else 0)


def exported() -> dict[str, str]:
    """Each name in the __all__ of mlcourse, mlcourse.reference and mlcourse.training,
    mapped to the module that defines it (modules map to themselves)."""
    owners = {}
    for package in (mc, mc.reference, mc.training):
        for name in package.__all__:
            obj = getattr(package, name)
            owners[f"{package.__name__}.{name}"] = (
                obj.__name__
                if inspect.ismodule(obj)
                else getattr(obj, "__module__", package.__name__)
            )
    return owners


def test_every_public_callable_has_rows():
    covered = {row.target for row in ROWS}
    missing = public_callables() - covered - set(HOOKS) - set(NOTHING_TO_REFUSE)
    assert not missing, (
        f"public callables without a bad-input row: {sorted(missing)}"
    )


def test_every_export_comes_from_a_covered_module():
    def known(module: str) -> bool:
        return module in MODULES or module in (
            "mlcourse",
            "mlcourse.reference",
            "mlcourse.training",
        )

    unknown = {
        name: module for name, module in exported().items() if not known(module)
    }
    assert not unknown, (
        f"exported from modules the table does not cover: {unknown}; add rows "
        "and the module to MODULES"
    )


def test_every_module_of_the_package_is_covered():
    """A new module of mlcourse needs rows: the table lists every one."""
    import pkgutil

    found = {
        info.name for info in pkgutil.walk_packages(mc.__path__, prefix="mlcourse.")
    }
    packages = {"mlcourse.reference", "mlcourse.training"}  # re-exports only
    missing = found - set(MODULES) - packages
    assert not missing, f"modules with no rows in the table: {sorted(missing)}"


def test_exemptions_name_real_callables():
    public = public_callables()
    stale = (set(HOOKS) | set(NOTHING_TO_REFUSE)) - public
    assert not stale, f"exempt but not (or no longer) public: {sorted(stale)}"
    assert not (set(HOOKS) | set(NOTHING_TO_REFUSE)) & {row.target for row in ROWS}


def test_rows_cover_each_kind_of_bad_input():
    values = {row.label.split("=", 1)[-1] for row in ROWS}
    for kind in ("None", "nan", "inf", "-inf", "'bogus'", "True", "-1"):
        assert kind in values, kind
    assert len(ROWS) >= 600
