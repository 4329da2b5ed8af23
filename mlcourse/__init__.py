"""Helpers shared by the chapters of the book, imported by every chapter as ``mc``.

Importing ``mlcourse`` is cheap: it imports neither PyTorch nor TensorFlow.
A helper that needs a framework imports it when it is called.

The parts, by job (the folder listing shows the same grouping):

- :mod:`mlcourse.runtime`: seeding, device choice, a quiet TensorFlow import.
- :mod:`mlcourse.validation`: the argument checks every public function uses.
- :mod:`mlcourse.data`: the digits data set, synthetic data, framework loaders.
- :mod:`mlcourse.crosscheck`: assert that NumPy, PyTorch and TensorFlow agree.
- :mod:`mlcourse.display`: glued numbers, helper source, caught warnings.
- :mod:`mlcourse.plotting`: the book's figure style.
- :mod:`mlcourse.timing`: wall-clock timing with repeats and GPU synchronization.
- :mod:`mlcourse.models`: the small digits MLP several chapters train.
- :mod:`mlcourse.reference`: NumPy reference implementations (losses, optimizers,
  schedules, a small autograd engine, 2-D test functions); ``mc.losses``,
  ``mc.optimizers``... are short names for its modules.
- :mod:`mlcourse.training`: ``fit`` loops of the same shape for PyTorch and
  TensorFlow, with callbacks (early stopping, checkpoints), and the
  learning-rate range test.

The parts that one or two later chapters use are imported by name, e.g.
``from mlcourse import diagnostics`` (``import mlcourse`` does not load them):

- :mod:`mlcourse.tuning`, :mod:`mlcourse.tuning_worker`: the digits objective
  for hyperparameter search, and a worker process sharing an Optuna study.
- :mod:`mlcourse.diagnostics`: per-layer statistics of activations, gradients
  and updates, recorded through hooks, and their plots.
- :mod:`mlcourse.precision`: a dynamic loss scaler, a meter of the activations
  saved for backward, the machine's low-precision capabilities.
- :mod:`mlcourse.parallel`: a launcher for multi-process programs (torchrun,
  TensorFlow workers) that leaves no process behind, and the rank programs of
  the distributed-training chapter.
- :mod:`mlcourse.compression`: what the compression chapter's methods share
  with the capstone (size on disk, quantization helpers).
- :mod:`mlcourse.gpt`: the capstone's character-level GPT: model, data,
  training script, exact-resume checkpoints.
"""

from mlcourse import models, reference, timing, training, validation
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
from mlcourse.display import glue, glue_sci, print_warnings, show_source, wrap
from mlcourse.plotting import FRAMEWORK_COLORS, use_book_style
from mlcourse.reference import (
    autograd,
    autograd_scalar,
    losses,
    optimizers,
    schedules,
    surfaces,
)
from mlcourse.runtime import (
    RunInfo,
    import_tensorflow,
    pick_device,
    seed_everything,
    setup,
    usable_cores,
)

__all__ = [
    # modules
    "autograd",
    "autograd_scalar",
    "losses",
    "models",
    "optimizers",
    "reference",
    "schedules",
    "surfaces",
    "timing",
    "training",
    "validation",
    # functions and classes
    "FRAMEWORK_COLORS",
    "Agreement",
    "Dataset",
    "RunInfo",
    "Splits",
    "assert_agree",
    "batch_indices",
    "glue",
    "glue_sci",
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
    "usable_cores",
    "use_book_style",
    "wrap",
]
