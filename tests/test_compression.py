"""Tests of mlcourse.compression: saved sizes, quiet torchao, TFLite and LiteRT."""

import logging
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import mlcourse as mc
from mlcourse import compression


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )


# saved_bytes ---------------------------------------------------------------


def test_saved_bytes_counts_a_module_by_its_state_dict():
    import torch

    model = torch.nn.Linear(64, 32)
    assert compression.saved_bytes(model) == compression.saved_bytes(
        model.state_dict()
    )
    assert compression.saved_bytes(
        torch.nn.Linear(64, 64)
    ) > compression.saved_bytes(model)


def test_saved_bytes_sees_the_width_of_the_stored_numbers():
    import torch

    n = 100_000
    float_bytes = compression.saved_bytes(
        {"w": torch.zeros(n, dtype=torch.float32)}
    )
    int8_bytes = compression.saved_bytes({"w": torch.zeros(n, dtype=torch.int8)})
    assert 4 * n <= float_bytes < 4 * n + 2_000  # the numbers plus a little format
    assert n <= int8_bytes < n + 2_000
    assert float_bytes / int8_bytes > 3.9


def test_saved_bytes_counts_float_weights_that_are_still_held():
    import torch

    model = torch.nn.Linear(256, 256, bias=False)
    quantized_only = {"w": torch.zeros(256, 256, dtype=torch.int8)}
    both = {**quantized_only, "float_copy": model.weight.detach()}
    assert compression.saved_bytes(both) > compression.saved_bytes(model)
    assert (
        compression.saved_bytes(quantized_only)
        < compression.saved_bytes(model) / 3.5
    )


@pytest.mark.parametrize("bad", [None, [1, 2], "model.pt", np.zeros(3)])
def test_saved_bytes_refuses_what_is_not_a_model_or_a_mapping(bad):
    with pytest.raises(
        TypeError, match="model must be a torch.nn.Module or a mapping"
    ):
        compression.saved_bytes(bad)


def test_saved_bytes_refuses_a_bare_tensor():
    import torch

    with pytest.raises(TypeError, match="model must be"):
        compression.saved_bytes(torch.zeros(3))


# import_torchao --------------------------------------------------------------


def test_import_torchao_writes_nothing_to_stderr():
    done = run_python(
        "from mlcourse import compression\n"
        "torchao = compression.import_torchao()\n"
        "import torchao.quantization\n"
        "print(torchao.__version__, hasattr(torchao.quantization, 'quantize_'))"
    )
    assert done.stderr == ""
    version, has_quantize = done.stdout.split()
    assert re.match(r"\d+\.\d+", version) and has_quantize == "True"


def test_importing_the_module_loads_no_framework():
    out = run_python(
        "import sys\nfrom mlcourse import compression\n"
        "print(any(m in sys.modules for m in ('torch', 'tensorflow', 'torchao')))"
    ).stdout
    assert out.strip() == "False"


def test_import_torchao_returns_the_same_module_twice():
    first = compression.import_torchao()
    assert compression.import_torchao() is first
    assert first is sys.modules["torchao"]


def test_log_filter_drops_the_noise_and_keeps_the_rest(caplog):
    logger = logging.getLogger("mlcourse-test-noise")
    noise = re.compile("Failed to load")
    with caplog.at_level(logging.WARNING):
        with compression._filtered_logs(("mlcourse-test-noise",), noise):
            logger.warning("Failed to load /x/_C.so: Could not load this library")
            logger.warning("a real problem")
        logger.warning("Failed to load, but after the block")
    messages = [record.getMessage() for record in caplog.records]
    assert messages == ["a real problem", "Failed to load, but after the block"]
    assert not logger.filters  # the filter is removed on the way out


def test_torchao_noise_pattern_matches_the_lines_it_is_for():
    lines = [
        "Failed to load /env/site-packages/torchao/_C_mxfp8.cpython-310-x86_64"
        "-linux-gnu.so: Could not load this library: /env/site-packages/torchao/"
        "_C_mxfp8.cpython-310-x86_64-linux-gnu.so",
        "<enum 'KernelPreference'> is an Enum subclass and is now natively "
        "supported by torch.compile as an opaque value type.",
    ]
    assert all(compression._TORCHAO_IMPORT_NOISE.search(line) for line in lines)
    assert not compression._TORCHAO_IMPORT_NOISE.search("Failed to load data.csv")


# convert_tflite and LiteRTModel -------------------------------------------------


@pytest.fixture(scope="module")
def tiny_tf_model():
    """A TensorFlow function 8 -> 4 (ReLU, then linear) and its weights."""
    tf = mc.import_tensorflow()
    rng = np.random.default_rng(0)
    w1 = rng.normal(size=(8, 16)).astype(np.float32)
    w2 = rng.normal(size=(16, 4)).astype(np.float32)

    class Tiny(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32)])
        def __call__(self, x):
            return tf.matmul(tf.nn.relu(tf.matmul(x, w1)), w2)

    return Tiny(), (w1, w2)


def make_converter(module, full_integer=False):
    tf = mc.import_tensorflow()
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [module.__call__.get_concrete_function()], module
    )
    if full_integer:
        rng = np.random.default_rng(1)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: (
            [rng.normal(size=(4, 8)).astype(np.float32)] for _ in range(8)
        )
    return converter


@pytest.fixture(scope="module")
def flatbuffers(tiny_tf_model):
    module, _ = tiny_tf_model
    return {
        "float32": compression.convert_tflite(make_converter(module)),
        "full integer": compression.convert_tflite(
            make_converter(module, full_integer=True)
        ),
    }


def test_convert_tflite_returns_the_model_without_its_progress_line(
    tiny_tf_model, capfd
):
    module, _ = tiny_tf_model
    capfd.readouterr()
    flatbuffer = compression.convert_tflite(
        make_converter(module, full_integer=True)
    )
    assert isinstance(flatbuffer, bytes) and len(flatbuffer) > 100
    assert "fully_quantize" not in capfd.readouterr().err


def test_convert_tflite_lets_other_stderr_lines_through(capfd):
    class Chatty:
        def convert(self):
            os.write(
                2, b"fully_quantize: 0, inference_type: 6, x\na real problem\n"
            )
            return b"model"

    assert compression.convert_tflite(Chatty()) == b"model"
    assert capfd.readouterr().err == "a real problem\n"


def test_convert_tflite_refuses_what_is_not_a_converter():
    with pytest.raises(
        TypeError, match="converter must be a tf.lite.TFLiteConverter"
    ):
        compression.convert_tflite(object())

    class Broken:
        def convert(self):
            return "not bytes"

    with pytest.raises(TypeError, match=r"converter.convert\(\) must be"):
        compression.convert_tflite(Broken())


def test_litert_model_computes_what_tensorflow_computes(tiny_tf_model, flatbuffers):
    module, _ = tiny_tf_model
    model = compression.LiteRTModel(flatbuffers["float32"], num_threads=1)
    x = np.random.default_rng(2).normal(size=(7, 8)).astype(np.float32)
    for batch in (x, x[:1], x[:3], x):  # the batch size changes between calls
        expected = module(batch).numpy()
        np.testing.assert_allclose(model(batch), expected, rtol=1e-5, atol=1e-5)
        assert model(batch).shape == (len(batch), 4)
    assert model.features == (8,)


def test_litert_model_runs_a_full_integer_model_with_float_inputs(
    tiny_tf_model, flatbuffers
):
    module, _ = tiny_tf_model
    model = compression.LiteRTModel(flatbuffers["full integer"])
    x = np.random.default_rng(3).normal(size=(16, 8))  # float64, converted
    outputs, expected = model(x), module(x.astype(np.float32)).numpy()
    assert outputs.dtype == np.float32
    # int8 rounding: close to the float result relative to its size, not equal
    assert np.abs(outputs - expected).max() < 0.1 * np.abs(expected).max()
    int8_weights = [
        t
        for t in model.tensors()
        if t["value"] is not None and t["value"].ndim == 2 and t["dtype"] == np.int8
    ]
    assert {t["value"].shape for t in int8_weights} >= {(16, 8), (4, 16)}


def test_litert_model_writes_nothing_to_stderr(flatbuffers, capfd):
    capfd.readouterr()
    model = compression.LiteRTModel(flatbuffers["float32"], num_threads=2)
    model(np.zeros((5, 8), dtype=np.float32))
    assert capfd.readouterr().err == ""


def test_litert_model_tensors_hold_the_weights(tiny_tf_model, flatbuffers):
    _, (w1, w2) = tiny_tf_model
    values = [
        t["value"]
        for t in compression.LiteRTModel(flatbuffers["float32"]).tensors()
    ]
    stored = [v for v in values if v is not None and v.ndim == 2]
    assert any(v.shape == w1.T.shape and np.array_equal(v, w1.T) for v in stored)
    assert any(v.shape == w2.T.shape and np.array_equal(v, w2.T) for v in stored)


@pytest.mark.parametrize(
    "flatbuffer, num_threads, error, match",
    [
        (
            "model.tflite",
            None,
            TypeError,
            "flatbuffer must be a TFLite model as bytes",
        ),
        (b"", None, ValueError, "flatbuffer is empty"),
        (None, 0, ValueError, "num_threads must be"),
        (None, 1.5, TypeError, "num_threads must be"),
    ],
)
def test_litert_model_refuses_bad_arguments(
    flatbuffers, flatbuffer, num_threads, error, match
):
    flatbuffer = flatbuffers["float32"] if flatbuffer is None else flatbuffer
    with pytest.raises(error, match=match):
        compression.LiteRTModel(flatbuffer, num_threads=num_threads)


@pytest.mark.parametrize(
    "x, error, match",
    [
        (
            np.zeros((3, 5), dtype=np.float32),
            ValueError,
            r"x must have shape \(n, 8\)",
        ),
        (np.zeros(8, dtype=np.float32), ValueError, "x must have 2 dimension"),
        (np.array([["a"] * 8]), TypeError, "x must be an array of real numbers"),
        (None, TypeError, "x must be an array of numbers"),
    ],
)
def test_litert_model_refuses_bad_batches(flatbuffers, x, error, match):
    model = compression.LiteRTModel(flatbuffers["float32"])
    with pytest.raises(error, match=match):
        model(x)
