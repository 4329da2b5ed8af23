"""Start the processes of a distributed program from a notebook cell; clean up.

The API (used by the distributed-training and capstone chapters)::

    from mlcourse.parallel import launcher

    run = launcher.run_torchrun("train.py", ["--steps", "9"], nprocs=2, timeout=99)
    run.results[1]       # what rank 1 passed to rank.save_result(...), a dict
    run.output           # what rank 0 printed (it was also streamed into the cell)
    run.seconds          # wall time of the whole run
    run.peak_memory      # bytes: the caller and all its processes together (PSS)
    run.command_lines    # the commands, as a reader would type them

A rank program is an ordinary script or module that joins the group from the
environment torchrun sets (``dist.init_process_group("gloo")``, or
``rank.init_process_group()`` from :mod:`mlcourse.parallel.rank`), prints
what the reader should see on rank 0 (``rank.print0``) and returns its numbers
with ``rank.save_result({...})``.

- ``run_torchrun(target, args, nprocs=2, nnodes=1, timeout=..., env=None)``
  runs ``torchrun`` with `nprocs` ranks per node. `target` is a module
  (``"mlcourse.parallel.collectives"``) or the path of a ``.py`` script. With
  ``nnodes=1`` it uses ``--standalone``; with ``nnodes > 1`` it starts one
  ``torchrun`` per "node", all on this machine's loopback, with the static
  rendezvous (``--nnodes``, ``--node-rank``, ``--master-addr``, ``--master-port``).
- ``run_tf_workers(target, args, nworkers=2, timeout=..., env=None)`` runs
  `nworkers` TensorFlow workers, each with its ``TF_CONFIG`` (free ports).
- ``run_processes(commands, timeout=..., env=None, check=True)`` runs any
  command lines side by side (process ``i`` gets ``RANK=i``); with
  ``check=False`` a failing process is reported in the result, not raised.

Every function blocks until the processes finish and returns a
:class:`RunResult`. Rank 0's standard output is streamed into the caller's
``sys.stdout`` as it is printed; standard error is captured to files and shown
only when something fails (in the exception's message), because a notebook
cell that writes to stderr fails the book's build.

Each rank reports its results as data: ``rank.save_result({...})`` (from
:mod:`mlcourse.parallel.rank`) writes ``rank<R>.json`` into the folder named by
``MLCOURSE_RESULTS_DIR``, which the launcher creates; ``RunResult.results``
holds them in rank order (``None`` for a rank that saved nothing).

Failures: a process that exits with a non-zero code raises
:class:`RankFailure` (the others are stopped at once, so none is left waiting
in a collective); a run longer than `timeout` seconds raises
:class:`LaunchTimeout`. In every case, including ``KeyboardInterrupt`` (the
notebook's interrupt button), the launcher terminates every process it started
and every process those started (it tracks the whole tree while it runs):
nothing outlives the call. On Linux each started process also gets a signal
if the caller's process dies: ``preexec_fn=parent_death_hook()`` on any
``subprocess.Popen`` does the same for a process started elsewhere (the
capstone's training runs, :mod:`mlcourse.gpt.runs`).

The children's environment is the caller's plus: ``OMP_NUM_THREADS=1`` (one
thread per rank: with more ranks than cores, more threads only compete;
torchrun otherwise prints a notice), ``TORCH_CPP_LOG_LEVEL=ERROR`` (no c10d
notices about host names), ``TF_CPP_MIN_LOG_LEVEL=2`` (no TensorFlow server
logs), ``PYTHONUNBUFFERED=1`` (rank 0's prints arrive as they happen); `env`
overrides any of them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from mlcourse.validation import check_bool, check_int, check_number, check_type

RESULTS_DIR_VARIABLE = "MLCOURSE_RESULTS_DIR"
DEFAULT_ENV = {
    "OMP_NUM_THREADS": "1",
    "TORCH_CPP_LOG_LEVEL": "ERROR",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYTHONUNBUFFERED": "1",
}
POLL_SECONDS = 0.05
MEMORY_SECONDS = 1.0  # how often the memory of all the processes is sampled
GRACE_SECONDS = 3.0  # after SIGTERM, before SIGKILL
STDERR_TAIL_LINES = 25

__all__ = [
    "LaunchTimeout",
    "RankFailure",
    "RunResult",
    "free_port",
    "parent_death_hook",
    "proportional_memory",
    "run_processes",
    "run_tf_workers",
    "run_torchrun",
]


class RankFailure(RuntimeError):
    """A launched process exited with an error; the message shows its stderr."""


class LaunchTimeout(TimeoutError):
    """The launched processes ran longer than the timeout and were killed."""


@dataclass(frozen=True)
class RunResult:
    """What a launch returns.

    `results`: one entry per rank, in rank order, what it passed to
    ``rank.save_result`` (``None`` if nothing); `output`: rank 0's stdout;
    `seconds`: wall time from the first start to the last exit; `commands`:
    the command lines started; `returncodes`: their exit codes; `stderr`: the
    captured stderr by name (``"rank 1"``, ``"torchrun 0"``, ``"process 2"``);
    `peak_memory`: the largest memory, in bytes, of the caller and all its
    launched processes together (PSS, sampled every second; 0 if never sampled).
    """

    results: list[dict[str, Any] | None]
    output: str
    seconds: float
    commands: list[list[str]]
    returncodes: list[int]
    stderr: dict[str, str] = field(repr=False)
    peak_memory: int = 0

    @property
    def command_lines(self) -> list[str]:
        """The commands as a reader would type them (``torchrun``, ``python``)."""
        lines = []
        for command in self.commands:
            words = [w for w in command if not w.startswith(_BOOKKEEPING)]
            if words[:3] == [sys.executable, "-m", "torch.distributed.run"]:
                words = ["torchrun", *words[3:]]
            elif words and words[0] == sys.executable:
                words = ["python", *words[1:]]
            lines.append(shlex.join(words))
        return lines


def free_port() -> int:
    """A TCP port on the loopback that is free now (the system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ---------------------------------------------------------- the public launchers


def run_torchrun(
    target: str | os.PathLike,
    args: Sequence[str] = (),
    *,
    nprocs: int = 2,
    nnodes: int = 1,
    timeout: float = 120.0,
    env: Mapping[str, str] | None = None,
    stream: bool = True,
) -> RunResult:
    """Run `target` under ``torchrun``, `nprocs` ranks on each of `nnodes` "nodes".

    `target` is a module name or a ``.py`` path; `args` are its command-line
    arguments. With ``nnodes > 1``, one ``torchrun`` per node runs on this
    machine, node 0 being the rendezvous host. Rank 0's stdout is streamed
    (`stream`); the result of each rank is in ``RunResult.results``.
    """
    nprocs = check_int("nprocs", nprocs, low=1)
    nnodes = check_int("nnodes", nnodes, low=1)
    program = _program(target, _check_args(args))
    python = [sys.executable, "-m", "torch.distributed.run"]
    commands = []
    if nnodes == 1:
        commands.append(
            [
                *python,
                "--standalone",
                f"--nproc-per-node={nprocs}",
                *_LOGS,
                *program,
            ]
        )
    else:
        port = free_port()
        for node in range(nnodes):
            commands.append(
                [
                    *python,
                    f"--nnodes={nnodes}",
                    f"--node-rank={node}",
                    f"--nproc-per-node={nprocs}",
                    "--master-addr=127.0.0.1",
                    f"--master-port={port}",
                    *_LOGS,
                    *program,
                ]
            )
    return _launch(
        commands,
        world_size=nprocs * nnodes,
        torchrun_ranks_per_node=nprocs,
        timeout=timeout,
        env=env,
        stream=stream,
        check=True,
    )


def run_tf_workers(
    target: str | os.PathLike,
    args: Sequence[str] = (),
    *,
    nworkers: int = 2,
    timeout: float = 120.0,
    env: Mapping[str, str] | None = None,
    stream: bool = True,
) -> RunResult:
    """Run `nworkers` copies of a TensorFlow program, each with its ``TF_CONFIG``.

    The cluster is ``{"worker": ["127.0.0.1:<port>", ...]}`` on free ports,
    and worker ``i`` gets ``"task": {"type": "worker", "index": i}`` (and
    ``RANK=i``), which is what ``tf.distribute.MultiWorkerMirroredStrategy``
    reads. Worker 0 (the "chief") has its stdout streamed.
    """
    nworkers = check_int("nworkers", nworkers, low=1)
    program = _program(target, _check_args(args))
    cluster = {"worker": [f"127.0.0.1:{free_port()}" for _ in range(nworkers)]}
    commands = [[sys.executable, *program] for _ in range(nworkers)]
    envs = [
        {
            "TF_CONFIG": json.dumps(
                {"cluster": cluster, "task": {"type": "worker", "index": index}}
            )
        }
        for index in range(nworkers)
    ]
    return _launch(
        commands,
        world_size=nworkers,
        timeout=timeout,
        env=env,
        stream=stream,
        check=True,
        envs=envs,
    )


def run_processes(
    commands: Sequence[Sequence[str]],
    *,
    timeout: float = 120.0,
    env: Mapping[str, str] | None = None,
    stream: bool = True,
    check: bool = True,
) -> RunResult:
    """Run several command lines side by side; process ``i`` gets ``RANK=i``.

    With `check`, a non-zero exit raises :class:`RankFailure` (and stops the
    others); without it, the exit codes and stderr texts are returned in the
    :class:`RunResult` for the caller to show. Process 0's stdout is streamed.
    """
    check_type("commands", commands, (list, tuple), "a list of command lines")
    if not commands:
        raise ValueError("commands is empty: give at least one command line")
    checked = [_check_args(command, "each command") for command in commands]
    if any(not command for command in checked):
        raise ValueError("commands holds an empty command line")
    return _launch(
        checked,
        world_size=len(checked),
        timeout=timeout,
        env=env,
        stream=stream,
        check=check,
    )


# ---------------------------------------------------------------------- internals

# torchrun writes each rank's stdout and stderr to
# <log-dir>/<run id>_<random>/attempt_<n>/<local rank>/std{out,err}.log
_LOGS = ["--redirects=3", "--max-restarts=0"]
# The launcher's own torchrun options, left out of RunResult.command_lines.
_BOOKKEEPING = ("--log-dir=", "--redirects=", "--max-restarts=")


def _check_args(args: Any, name: str = "args") -> list[str]:
    if isinstance(args, (str, bytes)) or not isinstance(args, (list, tuple)):
        raise TypeError(
            f"{name} must be a list of strings (command-line words), got {args!r}"
        )
    bad = [word for word in args if not isinstance(word, (str, os.PathLike))]
    if bad:
        raise TypeError(f"{name} must hold strings only, got {bad[0]!r}")
    return [os.fspath(word) for word in args]


def _program(target: Any, args: list[str]) -> list[str]:
    """``-m module args`` for a module name, ``path args`` for a script."""
    if not isinstance(target, (str, os.PathLike)) or not os.fspath(target):
        raise TypeError(
            f"target must be a module name or a script path, got {target!r}"
        )
    text = os.fspath(target)
    if text.endswith(".py") or os.sep in text:
        path = Path(text).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"target script {text!r} does not exist")
        return [str(path), *args]
    if not all(part.isidentifier() for part in text.split(".")):
        raise ValueError(
            f"target {text!r} is neither a module name (a.b.c) nor a .py path"
        )
    return ["-m", text, *args]


def _children_env(
    env: Mapping[str, str] | None, results_dir: Path
) -> dict[str, str]:
    merged = {**os.environ, **DEFAULT_ENV}
    if env is not None:
        check_type("env", env, Mapping, "a mapping of names to strings")
        bad = [
            k
            for k, v in env.items()
            if not (isinstance(k, str) and isinstance(v, str))
        ]
        if bad:
            raise TypeError(f"env must map strings to strings; {bad[0]!r} does not")
        merged.update(env)
    merged[RESULTS_DIR_VARIABLE] = str(results_dir)
    return merged


_PRCTL = None  # libc's prctl, looked up in the parent: the child must not load it


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """In the child, between fork and exec: SIGTERM it when its parent dies."""
    PR_SET_PDEATHSIG = 1
    _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM)


def parent_death_hook() -> Callable[[], None] | None:
    """A `preexec_fn` for ``subprocess.Popen``: the child dies with its parent.

    On Linux, the child gets SIGTERM when the thread that started it ends, so
    when its parent dies, even by SIGKILL with no chance to clean up (start it
    from the main thread, as a notebook cell does). Elsewhere returns None,
    which Popen takes as "no hook". Call it in the parent: ``preexec_fn=
    parent_death_hook()``.
    """
    global _PRCTL
    if sys.platform != "linux":
        return None
    if _PRCTL is None:  # look it up here, not in the forked child
        import ctypes

        _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
    return _die_with_parent


class _Tail:
    """Follows a growing file; copies each complete new line to `sink` (if any)."""

    def __init__(self, sink: TextIO | None):
        self.sink, self.offset, self.pending, self.chunks = sink, 0, b"", []

    def pump(self, path: Path | None, final: bool = False) -> None:
        if path is None or not path.exists():
            return
        with open(path, "rb") as file:
            file.seek(self.offset)
            chunk = file.read()
        self.offset += len(chunk)
        data = self.pending + chunk
        cut = len(data) if final else data.rfind(b"\n") + 1
        ready, self.pending = data[:cut], data[cut:]
        if ready:
            text = ready.decode("utf-8", errors="replace")
            self.chunks.append(text)
            if self.sink is not None:
                self.sink.write(text)
                self.sink.flush()

    def text(self) -> str:
        return "".join(self.chunks)


class _ProcessTree:
    """Every process started, and every descendant seen while they ran."""

    def __init__(self) -> None:
        import psutil

        self.psutil = psutil
        self.seen: dict[int, Any] = {}

    def watch(self, pid: int) -> None:
        try:
            root = self.psutil.Process(pid)
            family = [root, *root.children(recursive=True)]
        except self.psutil.Error:
            return
        for process in family:
            self.seen.setdefault(process.pid, process)

    def alive(self) -> list[Any]:
        return [p for p in self.seen.values() if _running(p)]

    def memory(self) -> int:
        """Bytes used by this process and every live process of the tree (PSS)."""
        return proportional_memory(os.getpid()) + sum(
            proportional_memory(p.pid) for p in self.alive()
        )

    def kill_all(self, roots: list[subprocess.Popen]) -> None:
        """SIGTERM the roots (torchrun passes it on to its ranks), then SIGKILL."""
        for popen in roots:
            self.watch(popen.pid)
            if popen.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        while time.monotonic() < deadline and any(p.poll() is None for p in roots):
            time.sleep(POLL_SECONDS)
        for popen in roots:
            self.watch(popen.pid)
        own_group = os.getpgrp()
        for process in self.alive():
            with contextlib.suppress(self.psutil.Error, ProcessLookupError):
                group = os.getpgid(process.pid)
                if group == process.pid and group != own_group:
                    os.killpg(
                        group, signal.SIGKILL
                    )  # its group: its own children too
                process.kill()
        for popen in roots:
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(timeout=GRACE_SECONDS)
        self.psutil.wait_procs(self.alive(), timeout=GRACE_SECONDS)


def proportional_memory(pid: int) -> int:
    """A process's PSS in bytes: its private memory plus its share of shared
    pages, so that a library loaded by several ranks counts once in their sum
    (0 if the process is gone)."""
    pid = check_int("pid", pid, low=1)
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # not Linux, or the process has just ended
        pass
    import psutil

    try:
        return int(psutil.Process(pid).memory_info().rss)
    except psutil.Error:
        return 0


def _running(process: Any) -> bool:
    import psutil

    try:  # is_running also checks the start time: a reused pid is not ours
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _launch(
    commands: list[list[str]],
    *,
    world_size: int,
    timeout: float,
    env: Mapping[str, str] | None,
    stream: bool,
    check: bool,
    envs: list[dict[str, str]] | None = None,
    torchrun_ranks_per_node: int | None = None,
) -> RunResult:
    """Start `commands`, follow them, clean up, and collect what they left."""
    timeout = check_number("timeout", timeout, low=0, low_open=True)
    stream, check = check_bool("stream", stream), check_bool("check", check)
    under_torchrun = torchrun_ranks_per_node is not None
    with tempfile.TemporaryDirectory(prefix="mlcourse-run-") as folder:
        run_dir = Path(folder)
        results_dir = run_dir / "results"
        results_dir.mkdir()
        base_env = _children_env(env, results_dir)
        commands = [list(command) for command in commands]
        child_envs = []
        for index, command in enumerate(commands):
            extra = dict(envs[index]) if envs is not None else {}
            if under_torchrun:  # torchrun sets RANK for each of its ranks
                command[3:3] = [f"--log-dir={run_dir / f'logs{index}'}"]
            else:
                extra = {"RANK": str(index), "WORLD_SIZE": str(world_size), **extra}
            child_envs.append({**base_env, **extra})

        def rank0_stdout() -> Path | None:
            if under_torchrun:
                return _torchrun_log(run_dir / "logs0", 0, "stdout.log")
            return run_dir / "process0.stdout"

        tail = _Tail(sys.stdout if stream else None)
        tree = _ProcessTree()
        roots: list[subprocess.Popen] = []
        start = time.monotonic()
        failed = timed_out = False
        peak_memory, next_sample = 0, start + MEMORY_SECONDS
        try:
            for index, command in enumerate(commands):
                with (
                    open(run_dir / f"process{index}.stdout", "wb") as out,
                    open(run_dir / f"process{index}.stderr", "wb") as err,
                ):
                    roots.append(
                        subprocess.Popen(
                            command,
                            stdin=subprocess.DEVNULL,
                            stdout=out,
                            stderr=err,
                            env=child_envs[index],
                            start_new_session=True,  # its own process group
                            preexec_fn=parent_death_hook(),
                        )
                    )
                tree.watch(roots[-1].pid)
            while True:
                for popen in roots:
                    tree.watch(popen.pid)
                tail.pump(rank0_stdout())
                codes = [popen.poll() for popen in roots]
                if all(code is not None for code in codes):
                    break
                if check and any(code not in (None, 0) for code in codes):
                    failed = True  # stop the others: they may wait for the dead one
                    break
                now = time.monotonic()
                if now - start > timeout:
                    timed_out = True
                    break
                if now >= next_sample:
                    peak_memory = max(peak_memory, tree.memory())
                    next_sample = now + MEMORY_SECONDS
                time.sleep(POLL_SECONDS)
        finally:
            tree.kill_all(roots)
            tail.pump(rank0_stdout(), final=True)
        seconds = time.monotonic() - start
        returncodes = [popen.returncode for popen in roots]
        stderr = _stderr_texts(run_dir, len(commands), torchrun_ranks_per_node)
        output = tail.text()
        if timed_out:
            raise LaunchTimeout(
                f"the {len(commands)} process(es) did not finish within "
                f"{timeout:g} s and were killed.{_describe(stderr, output)}"
            )
        if check and (failed or any(code != 0 for code in returncodes)):
            raise RankFailure(
                f"a launched process failed (exit codes {returncodes}); "
                f"the others were stopped.{_describe(stderr, output)}"
            )
        results = [_load_result(results_dir, rank) for rank in range(world_size)]
        return RunResult(
            results, output, seconds, commands, returncodes, stderr, peak_memory
        )


def _torchrun_log(logs: Path, local_rank: int, name: str) -> Path | None:
    """torchrun's `name` file of `local_rank`: ``<run>/attempt_<n>/<rank>/name``."""
    found = sorted(logs.glob(f"*/attempt_*/{local_rank}/{name}"))
    return found[-1] if found else None


def _read(path: Path | None) -> str:
    if path is None or not path.exists():
        return ""
    return path.read_text(errors="replace")


def _stderr_texts(
    run_dir: Path, count: int, ranks_per_node: int | None
) -> dict[str, str]:
    """The stderr of each process by name: ``"process 0"``..., or under torchrun
    ``"rank 0"``... (global ranks) then ``"torchrun 0"``... (one per node)."""
    texts = {}
    if ranks_per_node is None:
        for index in range(count):
            texts[f"process {index}"] = _read(run_dir / f"process{index}.stderr")
        return texts
    for node in range(count):
        for local in range(ranks_per_node):
            log = _torchrun_log(run_dir / f"logs{node}", local, "stderr.log")
            texts[f"rank {node * ranks_per_node + local}"] = _read(log)
    for node in range(count):
        texts[f"torchrun {node}"] = _read(run_dir / f"process{node}.stderr")
    return texts


def _tail_lines(text: str, count: int = STDERR_TAIL_LINES) -> str:
    lines = text.rstrip().splitlines()
    skipped = len(lines) - count
    head = f"    [... {skipped} earlier lines]\n" if skipped > 0 else ""
    return head + "\n".join("    " + line for line in lines[-count:])


def _describe(stderr: dict[str, str], output: str) -> str:
    parts = [
        f"\nstderr of {name}:\n{_tail_lines(text)}"
        for name, text in stderr.items()
        if text.strip()
    ]
    if output.strip():
        parts.append(f"\nrank 0 printed:\n{_tail_lines(output, 10)}")
    return "".join(parts) or " Nothing was written to stderr."


def _load_result(results_dir: Path, rank: int) -> dict[str, Any] | None:
    path = results_dir / f"rank{rank}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())
