"""What every rank program does first and last: join the group, report results.

A rank program (``python -m mlcourse.parallel.collectives``, started by
:mod:`mlcourse.parallel.launcher` or by ``torchrun`` in a terminal) reads its
place in the job from the environment that ``torchrun`` sets (``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``)::

    from mlcourse.parallel import rank

    me = rank.init_process_group()          # gloo on the CPU by default
    rank.print0(f"{me.world_size} ranks")   # printed by rank 0 only
    rank.save_result({"loss": 0.25, "weights": tensor})   # data for the notebook
    rank.destroy_process_group()

Results are written as JSON (tensors and arrays become nested lists) into
``$MLCOURSE_RESULTS_DIR/rank<R>.json``; without that variable (a run from a
terminal) :func:`save_result` does nothing and says so on rank 0.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlcourse.validation import check_choice, check_int, check_type

BACKENDS = ("gloo", "nccl", "auto")
RESULTS_DIR_VARIABLE = "MLCOURSE_RESULTS_DIR"


@dataclass(frozen=True)
class RankInfo:
    """This process's place in the job: rank, world size, local rank, device."""

    rank: int
    world_size: int
    local_rank: int
    backend: str
    device: str

    def __post_init__(self) -> None:
        check_int("world_size", self.world_size, low=1)
        check_int("rank", self.rank, low=0, high=self.world_size - 1)
        check_int("local_rank", self.local_rank, low=0)
        check_choice("backend", self.backend, ("gloo", "nccl"))
        check_type("device", self.device, str)


def choose_backend(backend: str, cuda_devices: int, local_world_size: int) -> str:
    """``"nccl"`` when asked for, or for ``"auto"`` when each local rank has its
    own GPU; else ``"gloo"`` (the CPU backend, which runs everywhere)."""
    backend = check_choice("backend", backend, BACKENDS)
    cuda_devices = check_int("cuda_devices", cuda_devices, low=0)
    local_world_size = check_int("local_world_size", local_world_size, low=1)
    if backend != "auto":
        return backend
    return "nccl" if 0 < local_world_size <= cuda_devices else "gloo"


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, str(default))
    try:
        return int(text)
    except ValueError:
        raise ValueError(
            f"environment variable {name} must be an integer, got {text!r}"
        ) from None


def init_process_group(backend: str = "gloo") -> RankInfo:
    """Join the process group described by the environment, and say where we are.

    `backend` is ``"gloo"`` (CPU tensors; the default, so that a page shows
    the same on every machine), ``"nccl"`` (one GPU per rank) or ``"auto"``
    (:func:`choose_backend`). The device is ``cuda:<LOCAL_RANK>`` under NCCL,
    else ``cpu``.
    """
    check_choice("backend", backend, BACKENDS)
    import torch
    import torch.distributed as dist

    local_rank = _env_int("LOCAL_RANK", 0)
    local_world = _env_int("LOCAL_WORLD_SIZE", _env_int("WORLD_SIZE", 1))
    cuda = torch.cuda.device_count() if torch.cuda.is_available() else 0
    chosen = choose_backend(backend, cuda, local_world)
    device = f"cuda:{local_rank}" if chosen == "nccl" else "cpu"
    if chosen == "nccl":
        torch.cuda.set_device(device)
    dist.init_process_group(chosen)
    return RankInfo(
        dist.get_rank(), dist.get_world_size(), local_rank, chosen, device
    )


def destroy_process_group() -> None:
    """Leave the process group (every rank, at the end of the program)."""
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()


def current_rank() -> int:
    """This process's global rank: from the process group, else ``$RANK``."""
    try:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return dist.get_rank()
    except ImportError:  # a TensorFlow worker without PyTorch
        pass
    return _env_int("RANK", 0)


def print0(*args: Any, **kwargs: Any) -> None:
    """``print`` on rank 0 only (flushed at once): one copy of each log line.

    Takes ``print``'s `sep`, `end` and `file`.
    """
    unknown = sorted(set(kwargs) - {"sep", "end", "file"})
    if unknown:
        raise TypeError(
            f"print0 takes sep, end and file as keywords, got {unknown[0]!r}"
        )
    if current_rank() == 0:
        print(*args, **kwargs, flush=True)


def to_json(value: Any) -> Any:
    """`value` with tensors, arrays and NumPy scalars made lists and numbers."""
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    if hasattr(value, "numpy") and not hasattr(value, "tolist"):  # a TF tensor
        value = value.numpy()
    if hasattr(value, "tolist"):  # NumPy arrays and scalars
        return value.tolist()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(
        f"cannot save a {type(value).__name__} as a result: use numbers, strings, "
        "lists, dicts, arrays or tensors"
    )


def save_result(data: Mapping[str, Any], rank: int | None = None) -> Path | None:
    """Write `data` as this rank's result, which the launcher returns to the caller.

    `rank` defaults to :func:`current_rank`. Returns the file written, or
    ``None`` when ``MLCOURSE_RESULTS_DIR`` is not set (a run from a terminal).
    """
    check_type("data", data, Mapping, "a dict")
    rank = current_rank() if rank is None else check_int("rank", rank, low=0)
    text = json.dumps(to_json(data))  # refuses what JSON cannot hold, even unsaved
    folder = os.environ.get(RESULTS_DIR_VARIABLE)
    if not folder:
        if rank == 0:
            print(
                f"({RESULTS_DIR_VARIABLE} is not set: results not saved)",
                flush=True,
            )
        return None
    path = Path(folder) / f"rank{rank}.json"
    partial = path.with_suffix(".partial")
    partial.write_text(text)
    partial.replace(path)  # atomic: the launcher never reads half a file
    return path
