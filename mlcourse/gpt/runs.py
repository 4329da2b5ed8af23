"""Run the training script from a notebook, stop it on purpose, read its run folder.

The capstone chapter starts :mod:`mlcourse.gpt.train` as a subprocess::

    with runs.TrainingProcess(folder, config) as process:
        process.wait(timeout=300)         # prints the progress lines as they come
    metrics = runs.read_metrics(folder)   # arrays: step, loss, ..., val_loss
    model, step = runs.load_model(runs.latest_checkpoint(folder))

A process runs in its own process group and is killed, with everything it
started, when the ``with`` block ends, whether it ended normally, with an
error, a timeout or an interrupt; on Linux it also ends if the notebook's
kernel dies (:func:`mlcourse.parallel.launcher.parent_death_hook`). Its output
goes to ``stdout.txt`` and ``stderr.txt`` in the run folder. Unless the
environment says otherwise, the process runs with ``OMP_WAIT_POLICY=PASSIVE``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mlcourse.gpt.checkpoint import latest_checkpoint, list_checkpoints
from mlcourse.parallel.launcher import parent_death_hook
from mlcourse.validation import (
    check_bool,
    check_choice,
    check_int,
    check_number,
    check_path,
    check_sequence,
    check_torch_device,
    check_type,
)

__all__ = [
    "TrainingProcess",
    "latest_checkpoint",
    "list_checkpoints",
    "load_model",
    "read_metrics",
]

POLL_SECONDS = 0.05


class TrainingProcess:
    """``python -m mlcourse.gpt.train`` in a subprocess, as a context manager.

    `out` is the run folder; `config` is a
    :class:`mlcourse.gpt.train.TrainConfig` (its ``threads``, when not 0, also
    sets ``OMP_NUM_THREADS``); `resume` and `ignore_state` are the script's
    options of the same names. ``process.command`` is the command line.
    """

    def __init__(
        self,
        out: str | os.PathLike,
        config,
        *,
        resume: bool = False,
        ignore_state: Sequence[str] = (),
    ):
        from mlcourse.gpt.train import IGNORABLE, TrainConfig

        self.out = check_path("out", out)
        self.config = check_type("config", config, TrainConfig)
        self.resume = check_bool("resume", resume)
        ignore_state = check_sequence("ignore_state", ignore_state, what="names")
        for name in ignore_state:
            check_choice("ignore_state", name, IGNORABLE)
        self.command = [
            sys.executable,
            "-m",
            "mlcourse.gpt.train",
            "--out",
            str(self.out),
            *config.to_args(),
            *(["--resume"] if resume else []),
            *(arg for name in ignore_state for arg in ("--ignore-state", name)),
        ]
        self.process: subprocess.Popen | None = None
        self._printed = 0

    def start(self) -> TrainingProcess:
        """Start the process (``with`` does it); returns self."""
        if self.process is not None:
            raise RuntimeError("this TrainingProcess was already started")
        self.out.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        # Waiting OpenMP threads sleep instead of spinning: bit-for-bit the same
        # results, and on a busy machine many times faster (a spinning thread
        # burns the time slice its partner needs).
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        if self.config.threads:
            env["OMP_NUM_THREADS"] = str(self.config.threads)
        with (
            open(self.out / "stdout.txt", "ab") as stdout,
            open(self.out / "stderr.txt", "ab") as stderr,
        ):
            self._stdout_start = stdout.tell()
            self.process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                env=env,
                start_new_session=True,  # its own process group, killed as one
                preexec_fn=parent_death_hook(),  # dies with the kernel too
            )
        return self

    def __enter__(self) -> TrainingProcess:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.kill()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the process and its group (a crash: no clean-up); reap it."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()

    def _echo(self) -> None:
        text = (self.out / "stdout.txt").read_bytes()[self._stdout_start :]
        lines = text.decode(errors="replace").splitlines(keepends=True)
        complete = [line for line in lines if line.endswith("\n")]
        for line in complete[self._printed :]:
            print(line, end="")
        self._printed = len(complete)

    def wait(self, timeout: float, *, echo: bool = True) -> float:
        """Wait for the run to end, print its progress if `echo`, return the time.

        Raises ``TimeoutError`` (after killing it) when it runs longer than
        `timeout` seconds, and ``RuntimeError`` with the end of its stderr
        when it fails.
        """
        timeout = check_number("timeout", timeout, low=0, low_open=True)
        echo = check_bool("echo", echo)
        if self.process is None:
            raise RuntimeError("start the process first (use it in a with block)")
        start = time.perf_counter()
        while self.process.poll() is None:
            if echo:
                self._echo()
            if time.perf_counter() - start > timeout:
                self.kill()
                raise TimeoutError(f"the training run took more than {timeout:g} s")
            time.sleep(POLL_SECONDS)
        if echo:
            self._echo()
        if self.process.returncode != 0:
            raise RuntimeError(
                f"the training run failed (exit code {self.process.returncode}):\n"
                + self.stderr()[-3000:]
            )
        return time.perf_counter() - start

    def kill_at_step(self, step: int, timeout: float) -> int:
        """SIGKILL the run once its metrics show `step`; return its last step."""
        step = check_int("step", step, low=1)
        timeout = check_number("timeout", timeout, low=0, low_open=True)
        if self.process is None:
            raise RuntimeError("start the process first (use it in a with block)")
        start, logged = time.perf_counter(), 0
        while logged < step:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the run ended (exit code {self.process.returncode}) "
                    f"before step "
                    f"{step}:\n{self.stderr()[-3000:]}"
                )
            if time.perf_counter() - start > timeout:
                self.kill()
                raise TimeoutError(
                    f"the run did not reach step {step} in {timeout:g} s"
                )
            time.sleep(POLL_SECONDS)
            logged = _last_step(self.out / "metrics.jsonl")
        self.kill()
        return _last_step(self.out / "metrics.jsonl")

    def stderr(self) -> str:
        """What the process wrote to stderr (``stderr.txt`` in the run folder)."""
        path = self.out / "stderr.txt"
        return path.read_text(errors="replace") if path.exists() else ""


def _last_step(path: Path) -> int:
    from mlcourse.gpt.train import read_jsonl

    if not path.exists():
        return 0
    steps = [line["step"] for line in read_jsonl(path) if "loss" in line]
    return steps[-1] if steps else 0


def read_metrics(out: str | os.PathLike) -> dict[str, np.ndarray]:
    """The metrics of a run folder as arrays.

    ``step``, ``loss``, ``lr``, ``grad_norm``, ``seconds`` (one entry per
    training step) and ``val_step``, ``val_loss`` (one per evaluation).
    """
    from mlcourse.gpt.train import read_jsonl

    path = check_path("out", out) / "metrics.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"no metrics.jsonl in {out}: is it a run folder?")
    lines = read_jsonl(path)
    steps = [line for line in lines if "loss" in line]
    evals = [line for line in lines if "val_loss" in line]
    columns = {
        name: np.array([line[name] for line in steps])
        for name in ("step", "loss", "lr", "grad_norm", "seconds")
    }
    columns["val_step"] = np.array([line["step"] for line in evals])
    columns["val_loss"] = np.array([line["val_loss"] for line in evals])
    return columns


def load_model(path: str | os.PathLike, device: str = "cpu"):
    """The model of a checkpoint, in evaluation mode, and its step."""
    from mlcourse.gpt.checkpoint import load_checkpoint
    from mlcourse.gpt.model import GPT, GPTConfig

    device = check_torch_device("device", device)
    state = load_checkpoint(path)
    vocab_size = state["model"]["transformer.wte.weight"].shape[0]
    config = state["config"]
    model = GPT(
        GPTConfig(
            vocab_size=vocab_size,
            **{
                name: config[name]
                for name in ("block_size", "n_layer", "n_head", "n_embd", "dropout")
            },
        )
    )
    model.load_state_dict(state["model"])
    return model.to(device).eval(), state["step"]
