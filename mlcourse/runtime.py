"""Seeding, device choice and a quiet TensorFlow import.

Every chapter starts with :func:`setup`, which seeds every random number
generator the chapter uses, picks the device and says what it picked.
"""

from __future__ import annotations

import contextlib
import os
import platform
import random
import re
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from mlcourse.validation import (
    check_bool,
    check_choice,
    check_int,
    check_sequence,
    check_type,
    describe,
)

FRAMEWORKS = ("torch", "tensorflow")
DEVICE_CHOICES = ("auto", "cpu", "cuda")

# Lines TensorFlow writes to the C-level stderr while it is imported. They are
# about the build (CPU instructions, missing CUDA libraries, oneDNN), not about
# the reader's code. Anything else printed during the import is passed through.
_TENSORFLOW_IMPORT_NOISE = re.compile(
    "|".join(
        [
            r"oneDNN custom operations are on",
            r"This TensorFlow binary is optimized",
            r"To enable the following instructions",
            r"rebuild TensorFlow with the appropriate compiler flags",
            r"Could not find cuda drivers",
            r"Unable to register cu(DNN|FFT|BLAS) factory",
            r"computation placer already registered",
            r"TF-TRT Warning",
            r"All log messages before absl::InitializeLog\(\) is called",
            r"cuda_(dnn|fft|blas|executor|driver)\.cc",
            r"failed call to cuInit",
        ]
    )
)


@contextlib.contextmanager
def filtered_stderr(noise: re.Pattern[str]) -> Iterator[None]:
    """Capture the process's stderr (descriptor 2) and re-emit all but `noise`.

    Works at the file-descriptor level because the C++ logging of TensorFlow,
    the TFLite converter and LiteRT never passes through Python's
    ``sys.stderr``. `noise` is a compiled pattern; a line it matches is
    dropped, every other line is written to stderr when the block ends.
    """
    if not isinstance(noise, re.Pattern):
        raise TypeError(
            f"noise must be a compiled re.Pattern, got {describe(noise)}"
        )
    sys.stderr.flush()
    saved_fd = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            captured.seek(0)
            text = captured.read().decode("utf-8", errors="replace")
    kept = [
        line
        for line in text.splitlines()
        if line.strip() and not noise.search(line)
    ]
    if kept:
        print("\n".join(kept), file=sys.stderr)


def import_tensorflow() -> ModuleType:
    """Import TensorFlow without its start-up log lines and return the module.

    Sets ``TF_CPP_MIN_LOG_LEVEL=2`` (unless the reader set it), filters the
    build notices TensorFlow prints while loading, and lowers the Python logger
    to errors. Warnings and errors that concern the reader's code still show.
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with filtered_stderr(_TENSORFLOW_IMPORT_NOISE):
        import tensorflow as tf
    tf.get_logger().setLevel("ERROR")
    return tf


def _check_frameworks(frameworks: Sequence[str] | str) -> tuple[str, ...]:
    """`frameworks` as a tuple of known names; one name alone is accepted too."""
    if isinstance(frameworks, str):
        frameworks = (frameworks,)
    names = check_sequence("frameworks", frameworks, of=str, what="framework names")
    for name in names:
        check_choice("framework", name, FRAMEWORKS)
    return names


def _check_seed(seed: Any) -> int:
    """A seed every generator accepts: an integer in [0, 2**32)."""
    return check_int("seed", seed, low=0, high=2**32 - 1)


def seed_everything(seed: int, frameworks: Sequence[str] = FRAMEWORKS) -> None:
    """Seed Python's ``random``, NumPy's global generator and each named framework.

    `frameworks` lists which of ``"torch"`` and ``"tensorflow"`` to seed (and so
    to import): a chapter that uses only PyTorch need not load TensorFlow.
    `seed` is an integer in ``[0, 2**32)``, the range every generator accepts.
    """
    seed = _check_seed(seed)
    frameworks = _check_frameworks(frameworks)
    # Import first, seed after: importing a framework can itself draw from
    # Python's generator, which would shift every later draw on a first call.
    if "torch" in frameworks:
        import torch
    if "tensorflow" in frameworks:
        tf = import_tensorflow()
    random.seed(seed)
    np.random.seed(seed)
    if "torch" in frameworks:
        torch.manual_seed(seed)  # also seeds every CUDA device
    if "tensorflow" in frameworks:
        tf.random.set_seed(seed)


def usable_cores() -> int:
    """How many CPU cores this process may use.

    Its CPU affinity (fewer than the machine's cores under ``taskset`` or a
    batch scheduler), capped by a container's CPU quota (cgroup v2's
    ``cpu.max``, as on Binder), which the affinity does not show.
    """
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max") as limit:
            quota, period = limit.read().split()
        if quota != "max":
            cores = min(cores, max(1, round(int(quota) / int(period))))
    except (OSError, ValueError):  # no cgroup v2 quota here
        pass
    return cores


def pick_device(prefer: str | None = None) -> str:
    """The PyTorch device to use: ``"cuda"`` if PyTorch finds a GPU, else ``"cpu"``.

    `prefer` (or the environment variable ``MLCOURSE_DEVICE``) may force
    ``"cpu"`` or ``"cuda"``; asking for CUDA on a machine without it is an
    error.
    """
    if prefer is None:
        choice = os.environ.get("MLCOURSE_DEVICE", "auto")
        check_choice(
            "value of the environment variable MLCOURSE_DEVICE:",
            choice,
            DEVICE_CHOICES,
        )
    else:
        choice = check_choice("device", prefer, DEVICE_CHOICES)
    import torch

    has_cuda = torch.cuda.is_available()
    if choice == "cuda" and not has_cuda:
        raise RuntimeError(
            "device 'cuda' was requested but PyTorch finds no CUDA GPU"
        )
    if choice == "cpu" or not has_cuda:
        return "cpu"
    return "cuda"


@dataclass(frozen=True)
class RunInfo:
    """What :func:`setup` chose: the seed, the PyTorch device, library versions."""

    seed: int
    device: str
    device_name: str
    versions: dict[str, str] = field(default_factory=dict)
    tensorflow_device: str | None = None

    def __post_init__(self) -> None:
        _check_seed(self.seed)
        check_choice("device", self.device, ("cpu", "cuda"))
        check_type("device_name", self.device_name, str)
        check_type("versions", self.versions, dict, "a dict of names to versions")
        if self.tensorflow_device is not None:
            check_choice(
                "tensorflow_device", self.tensorflow_device, ("CPU", "GPU")
            )

    def __str__(self) -> str:
        devices = f"PyTorch device: {self.device} ({self.device_name})"
        if self.tensorflow_device is not None:
            devices += f" | TensorFlow device: {self.tensorflow_device}"
        versions = ", ".join(
            f"{name} {version}" for name, version in self.versions.items()
        )
        return f"seed {self.seed} | {devices}\n{versions}"


def setup(
    seed: int = 0,
    frameworks: Sequence[str] = FRAMEWORKS,
    *,
    device: str | None = None,
    style: bool = True,
    verbose: bool = True,
) -> RunInfo:
    """Seed everything, pick the device, apply the book's plot style, and report.

    The one call at the top of every chapter. Returns a :class:`RunInfo`; with
    `verbose` it is also printed, so each executed chapter shows its device.
    `device` is ``"auto"``, ``"cpu"`` or ``"cuda"`` (see :func:`pick_device`).
    """
    seed = _check_seed(seed)
    frameworks = _check_frameworks(frameworks)
    style, verbose = check_bool("style", style), check_bool("verbose", verbose)
    if device is not None:
        check_choice("device", device, DEVICE_CHOICES)
    seed_everything(seed, frameworks)
    versions = {"Python": platform.python_version(), "NumPy": np.__version__}
    torch_device, device_name, tf_device = "cpu", "PyTorch not loaded", None
    if "torch" in frameworks:
        import torch

        torch_device = pick_device(device)
        if torch_device == "cuda":
            device_name = torch.cuda.get_device_name(0)
        else:
            device_name = (
                "CPU requested"
                if torch.cuda.is_available()
                else "no CUDA GPU found"
            )
        versions["PyTorch"] = torch.__version__
    if "tensorflow" in frameworks:
        tf = import_tensorflow()
        tf_device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
        versions["TensorFlow"] = tf.__version__
    if style:
        from mlcourse.plotting import use_book_style

        use_book_style()
    info = RunInfo(seed, torch_device, device_name, versions, tf_device)
    if verbose:
        print(info)
    return info
