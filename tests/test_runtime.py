"""Tests of mlcourse.runtime: seeding, device choice, quiet TensorFlow import."""

import os
import random
import subprocess
import sys

import numpy as np
import pytest

import mlcourse as mc
from mlcourse import runtime


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )


def test_importing_mlcourse_loads_no_framework():
    out = run_python(
        "import sys, mlcourse\n"
        "print('torch' in sys.modules, 'tensorflow' in sys.modules)"
    ).stdout
    assert out.split() == ["False", "False"]


def test_setup_with_torch_only_does_not_load_tensorflow():
    out = run_python(
        "import sys, mlcourse as mc\n"
        "mc.setup(1, frameworks=['torch'], verbose=False)\n"
        "print('tensorflow' in sys.modules)"
    ).stdout
    assert out.strip() == "False"


def test_tensorflow_import_prints_nothing_to_stderr():
    done = run_python(
        "import mlcourse as mc\ntf = mc.import_tensorflow()\ntf.constant(1.0) + 1"
    )
    assert done.stderr == ""


def testfiltered_stderr_drops_noise_and_keeps_the_rest(capfd):
    import re

    with runtime.filtered_stderr(re.compile("noise")):
        os.write(2, b"some noise line\na real problem\n")
    assert capfd.readouterr().err == "a real problem\n"


def draw_all():
    import torch

    tf = mc.import_tensorflow()
    return (
        random.random(),
        float(np.random.rand()),
        float(torch.rand(1)),
        float(tf.random.uniform([1])[0]),
    )


def test_seed_everything_makes_every_generator_repeat():
    mc.seed_everything(123)
    first = draw_all()
    mc.seed_everything(123)
    assert draw_all() == first
    mc.seed_everything(124)
    assert all(a != b for a, b in zip(draw_all(), first))


@pytest.mark.parametrize(
    "seed, error, match",
    [
        (-1, ValueError, r"seed must be an integer in \[0, 4294967295\]"),
        (2**32, ValueError, "seed must be an integer in"),
        (1.5, TypeError, "integer"),
        (True, TypeError, "integer"),
    ],
)
def test_seed_everything_rejects_bad_seeds(seed, error, match):
    with pytest.raises(error, match=match):
        mc.seed_everything(seed)


def test_unknown_framework_is_named():
    with pytest.raises(ValueError, match="unknown framework 'jax'"):
        mc.seed_everything(0, frameworks=["torch", "jax"])


def test_pick_device_uses_cuda_when_present(monkeypatch):
    import torch

    monkeypatch.delenv("MLCOURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert mc.pick_device() == "cuda"
    assert mc.pick_device("cpu") == "cpu"
    monkeypatch.setenv("MLCOURSE_DEVICE", "cpu")
    assert mc.pick_device() == "cpu"


def test_pick_device_falls_back_to_cpu(monkeypatch):
    import torch

    monkeypatch.delenv("MLCOURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert mc.pick_device() == "cpu"
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        mc.pick_device("cuda")


def test_pick_device_rejects_unknown_names(monkeypatch):
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        mc.pick_device("gpu")
    monkeypatch.setenv("MLCOURSE_DEVICE", "tpu")
    with pytest.raises(
        ValueError,
        match="unknown value of the environment variable MLCOURSE_DEVICE: .tpu.",
    ):
        mc.pick_device()


def test_setup_reports_what_it_picked(capsys, monkeypatch):
    monkeypatch.delenv("MLCOURSE_DEVICE", raising=False)
    info = mc.setup(7)
    printed = capsys.readouterr().out
    assert isinstance(info, mc.RunInfo)
    assert info.seed == 7 and info.device == mc.pick_device()
    assert "seed 7" in printed and f"PyTorch device: {info.device}" in printed
    assert "TensorFlow device:" in printed
    assert {"PyTorch", "TensorFlow", "NumPy"} <= set(info.versions)


def test_usable_cores_follows_the_affinity_and_the_container_quota(monkeypatch):
    import builtins
    import io

    from mlcourse import runtime

    cores = runtime.usable_cores()
    assert isinstance(cores, int) and 1 <= cores <= (os.cpu_count() or 1)

    real_open = builtins.open
    quota = {"text": "max 100000"}

    def fake_open(path, *args, **kwargs):
        if str(path) == "/sys/fs/cgroup/cpu.max":
            return io.StringIO(quota["text"])
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(
        os, "sched_getaffinity", lambda pid: set(range(8)), raising=False
    )
    assert runtime.usable_cores() == 8  # no quota: the affinity
    quota["text"] = "200000 100000"
    assert runtime.usable_cores() == 2  # two cores' worth of time per period
    quota["text"] = "50000 100000"
    assert runtime.usable_cores() == 1  # half a core still runs one process
    quota["text"] = "garbage"
    assert runtime.usable_cores() == 8
