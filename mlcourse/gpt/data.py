"""Shakespeare, character by character: vocabulary, encoding, the split, batches.

The capstone chapter trains on the 1,115,394 characters of
``mlcourse/datasets/tinyshakespeare.txt`` (see the README there), split as
nanoGPT splits it: the first 90 % for training, the last 10 % for validation::

    text = load_text()
    vocab = CharVocabulary.from_text(text)       # 65 characters
    train_ids, val_ids = split(vocab.encode(text))
    sampler = BatchSampler(train_ids, block_size=64, batch_size=32, seed=0)
    x, y = sampler.next_batch()                  # (32, 64) each; y is x shifted

A :class:`BatchSampler` draws its windows with a generator of its own, so its
state (:meth:`BatchSampler.state_dict`) is the data position a checkpoint
saves. NumPy only: nothing here imports a framework.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from mlcourse.validation import (
    check_array,
    check_int,
    check_number,
    check_type,
    describe,
)

TEXT_FILE = "tinyshakespeare.txt"


def load_text() -> str:
    """The whole Shakespeare text shipped with mlcourse (1,115,394 characters)."""
    return (
        resources.files("mlcourse.datasets")
        .joinpath(TEXT_FILE)
        .read_text(encoding="utf-8")
    )


@dataclass(frozen=True)
class CharVocabulary:
    """The distinct characters of a text, sorted; ``chars[i]`` has the id ``i``."""

    chars: str

    def __post_init__(self) -> None:
        check_type("chars", self.chars, str)
        if not self.chars or list(self.chars) != sorted(set(self.chars)):
            raise ValueError(
                "chars must be a non-empty string of distinct characters in "
                f"sorted order, got {describe(self.chars)}"
            )

    @classmethod
    def from_text(cls, text: str) -> CharVocabulary:
        """The vocabulary of every character that occurs in `text`."""
        check_type("text", text, str)
        if not text:
            raise ValueError("text is empty: there is no vocabulary to build")
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """The ids of the characters of `text`, int64 of shape ``(len(text),)``."""
        check_type("text", text, str)
        # Code points of the text, looked up among the vocabulary's (sorted).
        points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        known = np.frombuffer(self.chars.encode("utf-32-le"), dtype=np.uint32)
        ids = np.searchsorted(known, points)
        inside = (ids < len(known)) & (
            known[np.minimum(ids, len(known) - 1)] == points
        )
        if not inside.all():
            unknown = sorted(set(text) - set(self.chars))
            raise ValueError(
                f"text holds {len(unknown)} character(s) outside the vocabulary, "
                f"e.g. {unknown[0]!r}"
            )
        return ids.astype(np.int64)

    def decode(self, ids: Any) -> str:
        """The text of a sequence of ids (a list, a 1-D array or a 1-D tensor)."""
        ids = check_array("ids", _as_numpy(ids), ndim=1, kind="iu")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.chars)):
            raise ValueError(
                f"ids must lie in [0, {len(self.chars)}), "
                f"got values from {ids.min()} to {ids.max()}"
            )
        return "".join(self.chars[i] for i in ids.tolist())


def _as_numpy(values: Any) -> Any:
    if hasattr(values, "detach"):  # a torch tensor, without importing torch
        return values.detach().cpu().numpy()
    return values


def split(ids: Any, val_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """The first ``1 - val_fraction`` of `ids` to train on, the rest to validate.

    A split by position, not at random: the validation text is a stretch of
    the plays the model never saw, as in nanoGPT.
    """
    ids = check_array("ids", ids, ndim=1, kind="iu")
    val_fraction = check_number(
        "val_fraction", val_fraction, low=0, high=1, low_open=True, high_open=True
    )
    cut = int(len(ids) * (1 - val_fraction))
    if cut < 2 or len(ids) - cut < 2:
        raise ValueError(
            f"val_fraction={val_fraction} leaves fewer than 2 ids on one side "
            f"of the split of {len(ids)} ids"
        )
    return ids[:cut], ids[cut:]


def _check_windows(ids: Any, block_size: int) -> tuple[np.ndarray, int]:
    ids = check_array("ids", ids, ndim=1, kind="iu")
    block_size = check_int("block_size", block_size, low=1)
    if len(ids) < block_size + 1:
        raise ValueError(
            f"ids holds {len(ids)} ids, fewer than block_size + 1 = "
            f"{block_size + 1}"
        )
    return ids, block_size


def windows_at(
    ids: np.ndarray, offsets: np.ndarray, block_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``ids[o : o + T]``, targets ``ids[o + 1 : o + T + 1]``, per offset o.

    Returns two int64 arrays of shape ``(len(offsets), block_size)``.
    """
    ids, block_size = _check_windows(ids, block_size)
    offsets = check_array("offsets", offsets, ndim=1, kind="iu")
    if offsets.size and (
        offsets.min() < 0 or offsets.max() > len(ids) - block_size - 1
    ):
        raise ValueError(
            f"offsets must lie in [0, {len(ids) - block_size - 1}] for "
            f"{len(ids)} ids and block_size={block_size}"
        )
    positions = offsets[:, None] + np.arange(block_size + 1)
    windows = ids[positions].astype(np.int64)
    return windows[:, :-1], windows[:, 1:]


def consecutive_windows(ids: Any, block_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The text cut into non-overlapping windows (each id but the first a target).

    Used for the final validation loss, over the whole validation text.
    Returns inputs and targets of shape ``(windows, block_size)``, with
    ``windows = (len(ids) - 1) // block_size``.
    """
    ids, block_size = _check_windows(ids, block_size)
    offsets = np.arange(0, len(ids) - block_size, block_size)
    return windows_at(ids, offsets, block_size)


class BatchSampler:
    """Random windows of a text, drawn by a seeded generator of the sampler's own.

    Each call of :meth:`next_batch` draws ``batch_size * world_size`` window
    offsets, the batch of all ranks together, and returns rank `rank`'s share:
    on one process with ``batch_size * world_size`` windows, the batch is the
    same. The generator's state and the number of batches drawn are the data
    position (:meth:`state_dict`), which a checkpoint saves.
    """

    def __init__(self, ids: Any, block_size: int, batch_size: int, seed: int = 0):
        self.ids, self.block_size = _check_windows(ids, block_size)
        self.batch_size = check_int("batch_size", batch_size, low=1)
        self.seed = check_int("seed", seed, low=0)
        self.generator = np.random.default_rng(self.seed)
        self.batches_drawn = 0

    def next_batch(
        self, rank: int = 0, world_size: int = 1
    ) -> tuple[np.ndarray, np.ndarray]:
        """The next inputs and targets of `rank`: ``(batch_size, block_size)``."""
        world_size = check_int("world_size", world_size, low=1)
        rank = check_int("rank", rank, low=0, high=world_size - 1)
        # Offsets 0 .. len - block_size - 1: each window has its next character.
        high = len(self.ids) - self.block_size  # exclusive
        offsets = self.generator.integers(
            0, high, size=self.batch_size * world_size
        )
        self.batches_drawn += 1
        mine = offsets[rank * self.batch_size : (rank + 1) * self.batch_size]
        return windows_at(self.ids, mine, self.block_size)

    def state_dict(self) -> dict:
        """The data position: the generator's state, the number of batches drawn."""
        return {
            "seed": self.seed,
            "batches_drawn": self.batches_drawn,
            "generator": self.generator.bit_generator.state,
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue from a data position saved by :meth:`state_dict`."""
        check_type("state", state, dict)
        missing = {"seed", "batches_drawn", "generator"} - state.keys()
        if missing:
            raise ValueError(
                f"state is not a BatchSampler state: it lacks {sorted(missing)}"
            )
        if state["seed"] != self.seed:
            raise ValueError(
                f"state comes from a sampler seeded with {state['seed']}, "
                f"this one is seeded with {self.seed}"
            )
        batches_drawn = check_int("batches_drawn", state["batches_drawn"], low=0)
        try:
            self.generator.bit_generator.state = state["generator"]
        except (TypeError, ValueError, KeyError) as error:
            raise ValueError(
                f"state['generator'] is not a state of this sampler's "
                f"generator: {error}"
            ) from None
        self.batches_drawn = batches_drawn


def fixed_batches(
    ids: Any, block_size: int, batch_size: int, n_batches: int, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """`n_batches` random batches drawn once: evaluations comparable over time."""
    n_batches = check_int("n_batches", n_batches, low=1)
    sampler = BatchSampler(ids, block_size, batch_size, seed)
    return [sampler.next_batch() for _ in range(n_batches)]
