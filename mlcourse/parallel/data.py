"""The training data of the rank programs: the digits' training split.

Every rank needs the same examples in the same order as the notebook that
launched it (the notebook replays the ranks' steps by example index). The
notebook saves its split once, ``np.savez(path, x=train.x, y=train.y)``, and
passes the path in the environment variable ``MLCOURSE_DIGITS``; the ranks
then read that file instead of each importing scikit-learn and splitting the
data again (which costs every rank a second of start-up and ~90 MB). Without
the variable, the split is made here with :func:`mlcourse.load_digits_splits`.
"""

from __future__ import annotations

import os

import numpy as np

DIGITS_VARIABLE = "MLCOURSE_DIGITS"


def train_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The training split ``(x, y)``: float32 ``(n, 64)`` pixels, int64 labels."""
    path = os.environ.get(DIGITS_VARIABLE)
    if path:
        with np.load(path) as saved:
            return saved["x"], saved["y"]
    from mlcourse.data import load_digits_splits

    train = load_digits_splits(seed=0).train
    return train.x, train.y
