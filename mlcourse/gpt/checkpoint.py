"""Checkpoints that resume a run exactly, written so that no crash corrupts them.

A checkpoint of the capstone's training script is one file holding
everything the next step depends on::

    {"format", "step", "config",
     "model", "optimizer", "schedule", "scaler",   # state_dict() of each
     "rng": {"python", "numpy", "torch", "cuda"},  # every random generator
     "data": BatchSampler.state_dict()}            # the data position

:func:`save_checkpoint` writes it to a temporary file in the same folder and
renames it into place (an atomic operation), so the newest ``ckpt_*.pt`` is
always complete; :func:`load_checkpoint` turns a truncated or foreign file
into a :class:`CheckpointError` that says what is wrong.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mlcourse.validation import check_int, check_path, check_sequence, check_type

FORMAT = "mlcourse-gpt-checkpoint-1"
PARTS = ("model", "optimizer", "schedule", "scaler", "rng", "data")
PATTERN = "ckpt_*.pt"


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used: unreadable, incomplete, another run's."""


def checkpoint_path(folder: str | os.PathLike, step: int) -> Path:
    """Where the checkpoint after `step` steps lives: ``folder/ckpt_000250.pt``."""
    folder = check_path("folder", folder)
    return folder / f"ckpt_{check_int('step', step, low=0):06d}.pt"


def list_checkpoints(folder: str | os.PathLike) -> list[Path]:
    """The complete checkpoints in `folder`, oldest first (no temporary file)."""
    folder = check_path("folder", folder)
    return sorted(folder.glob(PATTERN))


def latest_checkpoint(folder: str | os.PathLike) -> Path | None:
    """The newest checkpoint in `folder`, or None when there is none."""
    found = list_checkpoints(folder)
    return found[-1] if found else None


def rng_state() -> dict[str, Any]:
    """The state of every random generator a step may use: Python, NumPy, torch."""
    kind, keys, position, has_gauss, gauss = np.random.get_state()
    return {
        "python": random.getstate(),
        # Plain values, so that the file loads with torch.load(weights_only=True).
        "numpy": [kind, keys.tolist(), position, has_gauss, gauss],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_rng_state(state: Mapping[str, Any]) -> None:
    """Put every random generator back in the state :func:`rng_state` recorded."""
    check_type("state", state, Mapping)
    missing = {"python", "numpy", "torch", "cuda"} - state.keys()
    if missing:
        raise ValueError(f"state is not an RNG state: it lacks {sorted(missing)}")
    for part, length in (("python", 3), ("numpy", 5)):
        if len(check_sequence(f"state[{part!r}]", state[part])) != length:
            raise ValueError(
                f"state[{part!r}] must hold {length} items, as rng_state() "
                f"records them, got {len(state[part])}"
            )
    check_type("state['torch']", state["torch"], torch.Tensor)
    check_sequence("state['cuda']", state["cuda"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, position, has_gauss, cached = state["numpy"]
    np.random.set_state(
        (kind, np.array(keys, dtype=np.uint32), position, has_gauss, cached)
    )
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(state: Mapping[str, Any], path: str | os.PathLike) -> Path:
    """Write `state` to `path` atomically: a crash leaves the old file intact.

    The bytes go to a hidden temporary file in the same folder, are flushed to
    the disk, and the file is then renamed to `path` (``os.replace``, atomic on
    POSIX and Windows). Returns `path`.
    """
    check_type("state", state, Mapping)
    path = check_path("path", path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as file:
            torch.save(dict(state), file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    return path


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint written by the training script, onto the CPU.

    Raises :class:`CheckpointError` when the file is missing, truncated,
    corrupt, or not a checkpoint of this format (naming the missing parts).
    Loads with ``weights_only=True``: the file cannot run code.
    """
    path = check_path("path", path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # zip, pickle and EOF errors alike
        raise CheckpointError(
            f"{path} is not a readable checkpoint (truncated or corrupt?): "
            f"{type(error).__name__}: {_first_sentence(error)}"
        ) from error
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        found = state.get("format") if isinstance(state, dict) else type(state)
        raise CheckpointError(
            f"{path} is not a checkpoint of format {FORMAT!r} (found {found!r})"
        )
    missing = [key for key in ("step", "config", *PARTS) if key not in state]
    if missing:
        raise CheckpointError(f"{path} is incomplete: it lacks {missing}")
    return state


def _first_sentence(error: Exception) -> str:
    """The first sentence of an error's message (torch's are long)."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return text.split(". ")[0][:200]


def check_same_config(
    saved: Mapping[str, Any],
    current: Mapping[str, Any],
    may_differ: tuple[str, ...] = (),
) -> None:
    """Raise :class:`CheckpointError` when two run configurations differ.

    Lists every differing field with both values; fields in `may_differ`
    are not compared.
    """
    check_type("saved", saved, Mapping)
    check_type("current", current, Mapping)
    may_differ = check_sequence("may_differ", may_differ, of=str, what="names")
    names = sorted((saved.keys() | current.keys()) - set(may_differ))
    differences = [
        f"{name}: checkpoint {saved.get(name, '(absent)')!r}, "
        f"this run {current.get(name, '(absent)')!r}"
        for name in names
        if saved.get(name, "(absent)") != current.get(name, "(absent)")
    ]
    if differences:
        raise CheckpointError(
            "the checkpoint was written by a run with another configuration "
            "(start a new run folder, or resume with the same settings):\n  "
            + "\n  ".join(differences)
        )
