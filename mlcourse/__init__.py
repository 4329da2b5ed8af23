"""Helpers shared by the chapters of the book.

Importing ``mlcourse`` is cheap: it imports neither PyTorch nor TensorFlow.
A helper that needs a framework imports it when it is called.

The pieces, one module each:

- :mod:`mlcourse.runtime`: seeding, device choice, a quiet TensorFlow import.
- :mod:`mlcourse.data`: the digits data set, synthetic data, framework loaders.
- :mod:`mlcourse.crosscheck`: assert that NumPy, PyTorch and TensorFlow agree.
- :mod:`mlcourse.display`: glued numbers, helper source, caught warnings.
- :mod:`mlcourse.plotting`: the book's figure style.
- :mod:`mlcourse.timing`: wall-clock timing with repeats and GPU synchronization.
- :mod:`mlcourse.losses`: NumPy reference losses (softmax, cross-entropy...).
- :mod:`mlcourse.models`: the small digits MLP several chapters train.
- :mod:`mlcourse.surfaces`: 2-D test functions (quadratic, Rosenbrock) and trajectory plots.
- :mod:`mlcourse.optimizers`, :mod:`mlcourse.schedules`: NumPy reference
  optimizers and learning-rate schedules.
- :mod:`mlcourse.autograd_scalar`, :mod:`mlcourse.autograd`: a small
  reverse-mode autograd engine, on numbers and on arrays.
- :mod:`mlcourse.training`: ``fit`` loops of the same shape for PyTorch and
  TensorFlow, with callbacks (early stopping, checkpoints).
"""

from mlcourse import (
    autograd,
    autograd_scalar,
    losses,
    models,
    optimizers,
    schedules,
    surfaces,
    timing,
    training,
)
from mlcourse.crosscheck import Agreement, assert_agree
from mlcourse.data import (
    Dataset,
    Splits,
    batch_indices,
    load_digits_splits,
    make_blobs,
    make_regression,
    tf_dataset,
    to_numpy,
    torch_loader,
)
from mlcourse.display import glue, print_warnings, show_source
from mlcourse.plotting import FRAMEWORK_COLORS, use_book_style
from mlcourse.runtime import RunInfo, import_tensorflow, pick_device, seed_everything, setup

__all__ = [
    # modules
    "autograd",
    "autograd_scalar",
    "losses",
    "models",
    "optimizers",
    "schedules",
    "surfaces",
    "timing",
    "training",
    # functions and classes
    "FRAMEWORK_COLORS",
    "Agreement",
    "Dataset",
    "RunInfo",
    "Splits",
    "assert_agree",
    "batch_indices",
    "glue",
    "import_tensorflow",
    "load_digits_splits",
    "make_blobs",
    "make_regression",
    "pick_device",
    "print_warnings",
    "seed_everything",
    "setup",
    "show_source",
    "tf_dataset",
    "to_numpy",
    "torch_loader",
    "use_book_style",
]
