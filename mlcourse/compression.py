"""Compressed models: their size on disk, and torchao and LiteRT without noise.

The compression chapter quantizes the same trained networks with torchao
(PyTorch) and the TensorFlow Lite converter, runs the TFLite models in the
LiteRT interpreter, and compares everything in bytes on disk; the capstone
quantizes its GPT with torchao and measures it the same way. What the chapter
teaches (the quantizers, the pruning masks, the distillation loss) is written
in the chapter. This module holds what both chapters use:

- :func:`saved_bytes`: how many bytes ``torch.save`` writes for a model;
- :func:`import_torchao`: torchao, without the log lines it writes on import
  about C++ extensions that this build of PyTorch cannot load;
- :func:`convert_tflite`: ``converter.convert()``, without the progress line
  the converter prints on the C-level stderr;
- :class:`LiteRTModel`: a TFLite model in the LiteRT interpreter, called like
  a function on a NumPy batch.

Importing this module imports no framework; each function imports what it
needs when it is called.
"""

from __future__ import annotations

import contextlib
import io
import logging
import pickle
import re
import sys
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import Any

import numpy as np

from mlcourse.runtime import filtered_stderr
from mlcourse.validation import (
    check_array,
    check_callable,
    check_int,
    check_type,
    describe,
)

__all__ = ["LiteRTModel", "convert_tflite", "import_torchao", "saved_bytes"]

# What torchao logs while it is imported: its optional C++ extensions (float8
# and CUTLASS kernels for recent NVIDIA GPUs) fail to load on other builds,
# and PyTorch notes that torchao registers an enum the old way. Neither is
# about the reader's code; any other record passes through.
_TORCHAO_IMPORT_NOISE = re.compile(
    r"Failed to load \S*torchao\S*: Could not load this library"
    r"|is an Enum subclass and is now natively supported by torch\.compile"
)
_TORCHAO_LOGGERS = ("torchao", "torch.utils._pytree")

# What the TFLite converter and the LiteRT interpreter write to the C-level
# stderr in normal operation: the quantizer's settings, and the notice that
# the XNNPACK CPU backend is in use.
_TFLITE_CONVERT_NOISE = re.compile(r"^fully_quantize: \d+, inference_type: \d+")
_LITERT_NOISE = re.compile(r"^INFO: Created TensorFlow Lite XNNPACK delegate")


def saved_bytes(model: Any) -> int:
    """The number of bytes ``torch.save`` writes for `model`'s state.

    `model` is a ``torch.nn.Module`` (its ``state_dict()`` is saved) or a
    mapping of names to tensors and numbers, saved as it is (a value that
    ``torch.save`` cannot pickle, such as a lambda, is a ``TypeError``). The
    count is that of the file ``torch.save`` would write (a zip archive: the
    tensors' bytes plus a little bookkeeping per tensor). It measures what is
    stored, not what is in memory: a quantized copy that still holds its float
    weights shows them here. Used by the compression and capstone chapters.
    """
    import torch

    if isinstance(model, torch.nn.Module):
        state = model.state_dict()
    elif isinstance(model, Mapping):
        state = model
    else:
        raise TypeError(
            "model must be a torch.nn.Module or a mapping of names to tensors, "
            f"got {describe(model)}"
        )
    buffer = io.BytesIO()
    try:
        torch.save(state, buffer)
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        raise TypeError(
            "model must hold what torch.save can store (tensors, numbers, "
            f"containers of them); saving it failed: {error}"
        ) from None
    return buffer.tell()


class _DropMatching(logging.Filter):
    """A logging filter that drops the records whose message matches `noise`."""

    def __init__(self, noise: re.Pattern[str]):
        super().__init__()
        self.noise = noise

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.noise.search(record.getMessage())


@contextlib.contextmanager
def _filtered_logs(
    logger_names: tuple[str, ...], noise: re.Pattern[str]
) -> Iterator[None]:
    """Drop the records matching `noise` that the named loggers emit in the block.

    A filter on a logger acts on the records created by that logger, before
    any handler sees them; records that do not match pass through unchanged.
    """
    drop = _DropMatching(noise)
    loggers = [logging.getLogger(name) for name in logger_names]
    for logger in loggers:
        logger.addFilter(drop)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(drop)


def import_torchao() -> ModuleType:
    """Import torchao (and ``torchao.quantization``) quietly and return it.

    On import, torchao logs a warning for each optional C++ extension it
    cannot load (kernels for recent NVIDIA GPUs, built against another
    PyTorch), and PyTorch logs that torchao registers an enum in a deprecated
    way. Those records are dropped while torchao is imported; any other
    warning still shows. Used by the compression and capstone chapters.
    """
    if "torchao.quantization" in sys.modules:
        return sys.modules["torchao"]
    import torch  # noqa: F401  (imported outside the filter: its own log stays)

    with _filtered_logs(_TORCHAO_LOGGERS, _TORCHAO_IMPORT_NOISE):
        import torchao
        import torchao.quantization  # noqa: F401
    return torchao


def convert_tflite(converter: Any) -> bytes:
    """Run a ``tf.lite.TFLiteConverter`` and return the model (a flatbuffer).

    The same as ``converter.convert()``, except that the line the quantizer
    prints on the C-level stderr (``fully_quantize: 0, inference_type: ...``)
    is dropped; anything else the converter writes still shows. Used by the
    compression chapter.
    """
    convert = getattr(converter, "convert", None)
    check_callable(
        "converter", convert, "a tf.lite.TFLiteConverter (with a convert() method)"
    )
    with filtered_stderr(_TFLITE_CONVERT_NOISE):
        flatbuffer = convert()
    return check_type(
        "converter.convert()", flatbuffer, bytes, "the model as bytes"
    )


class LiteRTModel:
    """A TensorFlow Lite model in the LiteRT interpreter, called like a function.

    ``model = LiteRTModel(flatbuffer)`` loads the model (the bytes
    :func:`convert_tflite` returns); ``model(x)`` runs a batch `x` of shape
    ``(n, *features)`` and returns the first output as a NumPy array of shape
    ``(n, ...)``. The batch size may change from call to call (the interpreter
    is resized when it does). The model must take one floating-point input;
    a fully integer model with a float interface (the converter's default)
    qualifies. `num_threads` is the number of CPU threads LiteRT may use
    (``None``: its default). The notice that LiteRT uses its XNNPACK CPU
    backend is dropped from stderr. Used by the compression chapter.
    """

    def __init__(self, flatbuffer: bytes, num_threads: int | None = None):
        check_type("flatbuffer", flatbuffer, bytes, "a TFLite model as bytes")
        if not flatbuffer:
            raise ValueError("flatbuffer is empty: it holds no TFLite model")
        if num_threads is not None:
            num_threads = check_int("num_threads", num_threads, low=1)
        from ai_edge_litert.interpreter import Interpreter

        with filtered_stderr(_LITERT_NOISE):
            try:
                self.interpreter = Interpreter(
                    model_content=flatbuffer, num_threads=num_threads
                )
            except ValueError as error:  # LiteRT's word for bytes it cannot read
                raise ValueError(
                    f"flatbuffer is not a TFLite model ({len(flatbuffer)} bytes): "
                    f"{error}"
                ) from None
            self.interpreter.allocate_tensors()
        inputs = self.interpreter.get_input_details()
        if len(inputs) != 1:
            raise ValueError(
                f"the model must have one input, this one has {len(inputs)}"
            )
        self._input = inputs[0]
        self._output = self.interpreter.get_output_details()[0]
        self.input_dtype = np.dtype(self._input["dtype"])
        if self.input_dtype.kind != "f":
            raise ValueError(
                "the model must take a floating-point input, this one takes "
                f"{self.input_dtype}"
            )
        self.features = tuple(int(size) for size in self._input["shape"][1:])
        self._batch_shape = tuple(int(size) for size in self._input["shape"])

    def __call__(self, x: Any) -> np.ndarray:
        """The model's first output for the batch `x` of shape ``(n, *features)``.

        `x` holds real numbers (cast to the model's input type). Like the
        frameworks' models, and to keep the call cheap for timing, its values
        are not checked: a NaN gives NaN outputs.
        """
        x = check_array(
            "x", x, kind="fiu", ndim=len(self.features) + 1, finite=False
        )
        if x.shape[1:] != self.features:
            expected = ", ".join(str(size) for size in self.features)
            raise ValueError(f"x must have shape (n, {expected}), got {x.shape}")
        x = np.ascontiguousarray(x, dtype=self.input_dtype)
        if x.shape != self._batch_shape:
            self.interpreter.resize_tensor_input(self._input["index"], x.shape)
            with filtered_stderr(_LITERT_NOISE):
                self.interpreter.allocate_tensors()
            self._batch_shape = x.shape
        self.interpreter.set_tensor(self._input["index"], x)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self._output["index"]).copy()

    def tensors(self) -> list[dict[str, Any]]:
        """The model's tensors: name, dtype, shape and quantization parameters.

        One dict per tensor, as LiteRT's ``get_tensor_details()`` gives them,
        plus ``"value"``: a copy of the tensor's contents where LiteRT exposes
        them (the constant tensors, such as the weights, which a quantized
        model stores as integers; the input), ``None`` where it does not (the
        intermediate tensors that its XNNPACK backend keeps to itself).
        """
        details = []
        for detail in self.interpreter.get_tensor_details():
            try:
                value = self.interpreter.get_tensor(detail["index"]).copy()
            except ValueError:  # an intermediate tensor: no data of its own
                value = None
            details.append({**detail, "value": value})
        return details
