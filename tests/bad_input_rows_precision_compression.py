"""Bad-input rows for mlcourse.precision and mlcourse.compression.

Imported by :mod:`test_bad_inputs`, which runs the rows and checks that
every public callable of ``MODULES`` has some. The objects the rows share (a
tiny TFLite model, parameters with gradients) are built when a row first
needs them; no row trains.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from bad_input_table import (
    NON_FINITE,
    NOT_A_BOOL,
    NOT_A_NUMBER,
    ROWS,  # noqa: F401
    add,
    integers,
    numbers,
    one,
    probability,
    without_none,
)

import mlcourse as mc
from mlcourse import compression
from mlcourse.precision import memory, scaling
from mlcourse.reference import optimizers

# The modules these rows cover in full.
MODULES: list[str] = [
    "mlcourse.precision",
    "mlcourse.precision.hardware",
    "mlcourse.precision.memory",
    "mlcourse.precision.scaling",
    "mlcourse.compression",
]

# Public methods only the library calls, after checking what it passes.
HOOKS: dict[str, str] = {}

# Public callables with no bad input to give.
NOTHING_TO_REFUSE: dict[str, str] = {
    "mlcourse.precision.hardware.Hardware": (
        "a frozen record that describe_hardware fills from PyTorch's answers"
    ),
    "mlcourse.precision.memory.SavedTensor": (
        "a frozen record that ActivationMeter fills from the tensors autograd saves"
    ),
}


# ================================================================ mlcourse.precision.scaling
# A scale is a positive float32: 0, a negative number, one beyond float32's
# largest (3.4e38) or below its smallest subnormal (1.4e-45) are refused.
BAD_SCALES = (
    NOT_A_NUMBER
    + NON_FINITE
    + [
        (0.0, ValueError),
        (-1.0, ValueError),
        (1e39, ValueError),
        (1e-46, ValueError),
    ]
)
FACTORS = [
    ("growth_factor", numbers(1, low_open=True)),
    ("backoff_factor", probability()),
    ("growth_interval", integers(1)),
]

UPDATE = scaling.update_scale
add(UPDATE, "scale", lambda v: UPDATE(v, 0, False), BAD_SCALES)
add(UPDATE, "growth_tracker", lambda v: UPDATE(1.0, v, False), integers(0))
add(UPDATE, "found_inf", lambda v: UPDATE(1.0, 0, v), NOT_A_BOOL)
for name, bad in FACTORS:
    add(
        UPDATE,
        name,
        lambda v, name=name: UPDATE(1.0, 0, False, **{name: v}),
        bad,
    )

SCALER = scaling.DynamicLossScaler
add(SCALER, "init_scale", SCALER, BAD_SCALES)
for name, bad in FACTORS:
    add(SCALER, name, lambda v, name=name: SCALER(**{name: v}), bad)
add(SCALER, "enabled", lambda v: SCALER(enabled=v), NOT_A_BOOL)
add(
    SCALER,
    "min_scale",
    lambda v: SCALER(init_scale=2.0**16, min_scale=v),
    without_none(numbers(0, low_open=True)) + [(2.0**17, ValueError)],
)


def parameter(*values, dtype=None, sparse=False):
    """A parameter holding `values`, with a gradient of ones (of `dtype`)."""
    import torch

    param = torch.nn.Parameter(torch.tensor(values, dtype=dtype))
    grad = torch.ones_like(param)
    param.grad = grad.to_sparse() if sparse else grad
    return param


def float16():
    import torch

    return torch.float16


def sgd(*params):
    import torch

    return torch.optim.SGD(params or [parameter(1.0, 2.0)], lr=0.1)


NOT_AN_OPTIMIZER = [
    (None, TypeError),
    ("sgd", TypeError),
    (optimizers.SGD(0.1), TypeError),  # the book's NumPy optimizer
]

add(
    SCALER.scale,
    "loss",
    lambda v: SCALER().scale(v),
    [(None, TypeError), (1.0, TypeError), (np.ones(1), TypeError)],
)
add(SCALER.unscale_, "optimizer", lambda v: SCALER().unscale_(v), NOT_AN_OPTIMIZER)
one(
    SCALER.unscale_,
    "optimizer=float16-gradients",
    lambda: SCALER().unscale_(sgd(parameter(1.0, dtype=float16()))),
    ValueError,
    r"optimizer: parameter 0 has a float16 gradient",
)
one(
    SCALER.unscale_,
    "optimizer=sparse-gradients",
    lambda: SCALER().unscale_(
        sgd(parameter(1.0, 2.0), parameter(3.0, sparse=True))
    ),
    TypeError,
    r"optimizer: parameter 1 has a sparse gradient",
)


def unscale_twice():
    scaler, optimizer = SCALER(), sgd()
    scaler.unscale_(optimizer)
    scaler.unscale_(optimizer)


def unscale_after_step():
    scaler, optimizer = SCALER(), sgd()
    scaler.step(optimizer)
    scaler.unscale_(optimizer)


def step_twice():
    scaler, optimizer = SCALER(), sgd()
    scaler.step(optimizer)
    scaler.step(optimizer)


one(
    SCALER.unscale_,
    "optimizer=twice",
    unscale_twice,
    RuntimeError,
    r"unscale_\(\) was already called on this optimizer",
)
one(
    SCALER.unscale_,
    "optimizer=after-step",
    unscale_after_step,
    RuntimeError,
    r"unscale_\(\) was called after step\(\)",
)
add(SCALER.step, "optimizer", lambda v: SCALER().step(v), NOT_AN_OPTIMIZER)
one(
    SCALER.step,
    "optimizer=twice",
    step_twice,
    RuntimeError,
    r"step\(\) was already called",
)
one(
    SCALER.step,
    "closure",
    lambda: SCALER().step(sgd(), closure=lambda: 0.0),
    RuntimeError,
    r"step\(closure=\.\.\.\) is not supported",
)

GOOD_STATE = SCALER().state_dict()
LOAD = SCALER.load_state_dict
add(
    LOAD,
    "state_dict",
    lambda v: SCALER().load_state_dict(v),
    [(None, TypeError), ([("scale", 1.0)], TypeError), ("state", TypeError)],
)
one(
    LOAD,
    "state_dict={}",
    lambda: SCALER().load_state_dict({}),
    ValueError,
    r"state_dict is empty: it was saved from a disabled scaler",
)
for key in scaling.STATE_KEYS:
    one(
        LOAD,
        f"state_dict=without-{key}",
        lambda key=key: SCALER().load_state_dict(
            {k: v for k, v in GOOD_STATE.items() if k != key}
        ),
        ValueError,
        rf"state_dict lacks {key}",
    )
for key, bad in [
    ("scale", BAD_SCALES),
    ("_growth_tracker", integers(0)),
    *FACTORS,
]:
    add(
        LOAD,
        f"state_dict[{key!r}]",
        lambda v, key=key: SCALER().load_state_dict({**GOOD_STATE, key: v}),
        bad,
    )


# ================================================================ mlcourse.precision.memory
def tensor():
    import torch

    return torch.zeros(2)


add(
    memory.ActivationMeter,
    "parameters",
    memory.ActivationMeter,
    [(None, TypeError), (3, TypeError), (np.float32(1.0), TypeError)],
)
add(
    memory.ActivationMeter,
    "parameters[0]",
    lambda v: memory.ActivationMeter([v]),
    [(None, TypeError), ("w", TypeError), (np.zeros(2), TypeError)],
)
one(
    memory.ActivationMeter,
    "parameters=a-string",
    lambda: memory.ActivationMeter("weights"),
    TypeError,
    r"parameters\[0\] must be a tensor, got 'w'",
)
one(
    memory.ActivationMeter,
    "parameters[1]=None",
    lambda: memory.ActivationMeter([tensor(), None]),
    TypeError,
    r"parameters\[1\] must be a tensor, got None",
)


# ================================================================ mlcourse.compression
def torch_zeros():
    import torch

    return torch.zeros(3)


add(
    compression.saved_bytes,
    "model",
    compression.saved_bytes,
    [
        (None, TypeError),
        ("model.pt", TypeError),
        ([1, 2], TypeError),
        (np.zeros(3), TypeError),
    ],
)
one(
    compression.saved_bytes,
    "model=tensor",
    lambda: compression.saved_bytes(torch_zeros()),
    TypeError,
    r"model must be a torch.nn.Module or a mapping",
)
one(
    compression.saved_bytes,
    "model=unpicklable",
    lambda: compression.saved_bytes({"w": lambda: 0}),
    TypeError,
    r"model must hold what torch.save can store",
)


class NotBytes:
    """A converter whose convert() returns text, not a flatbuffer."""

    def convert(self):
        return "model"


class NotCallable:
    convert = 3


add(
    compression.convert_tflite,
    "converter",
    compression.convert_tflite,
    [
        (None, TypeError),
        ("converter", TypeError),
        (object(), TypeError),
        (NotCallable(), TypeError),
    ],
)
one(
    compression.convert_tflite,
    "converter=returns-text",
    lambda: compression.convert_tflite(NotBytes()),
    TypeError,
    r"converter.convert\(\) must be the model as bytes, got 'model'",
)


@cache
def flatbuffer() -> bytes:
    """A TFLite model of x -> x @ w, x of shape (n, 4), w of shape (4, 2)."""
    tf = mc.import_tensorflow()
    weights = np.ones((4, 2), dtype=np.float32)

    class Tiny(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
        def __call__(self, x):
            return tf.matmul(x, weights)

    module = Tiny()
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [module.__call__.get_concrete_function()], module
    )
    return compression.convert_tflite(converter)


@cache
def litert_model():
    return compression.LiteRTModel(flatbuffer(), num_threads=1)


LITE = compression.LiteRTModel
add(
    LITE,
    "flatbuffer",
    LITE,
    [
        (None, TypeError),
        ("model.tflite", TypeError),
        (bytearray(b"TFL3"), TypeError),
        (np.zeros(8, dtype=np.uint8), TypeError),
        (b"", ValueError),
        (b"not a model", ValueError),
    ],
)
add(
    LITE,
    "num_threads",
    lambda v: LITE(b"never read", num_threads=v),
    without_none(integers(1)),
)
add(
    LITE.__call__,
    "x",
    lambda v: litert_model()(v),
    [
        (None, TypeError),
        ("abc", TypeError),
        (np.array([["a"] * 4]), TypeError),
        (np.zeros((2, 4), dtype=complex), TypeError),
        (np.zeros((2, 4), dtype=bool), TypeError),
        (np.zeros(4), ValueError),
        (np.zeros((2, 3)), ValueError),
        (np.zeros((2, 4, 1)), ValueError),
        (5.0, ValueError),
    ],
)
one(
    LITE.__call__,
    "x=ragged",
    lambda: litert_model()([[1.0, 2.0, 3.0, 4.0], [1.0]]),
    TypeError,
    r"x must be an array of numbers",
)
# NaN and inf in x are not refused, on purpose (the call is timed, and the
# frameworks' models do not check either): they give NaN or inf outputs.
