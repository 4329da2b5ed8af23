"""Training loops with the same shape in PyTorch and TensorFlow.

Import it as ``from mlcourse import training``::

    stop = training.EarlyStopping(patience=3)
    history = training.fit_torch(model, loader, loss_fn=..., optimizer=...,
                                 epochs=10, val_loader=val, callbacks=[stop])
    history = training.fit_tf(model, dataset, loss_fn=..., optimizer=...,
                              epochs=10, val_dataset=val, callbacks=[stop])
    history["val_loss"], history.best("val_loss"), history.step_losses

The pieces, one module each (this one only gathers them):

- :mod:`mlcourse.training.torch_loop`: :func:`fit_torch`, :func:`evaluate_torch`.
- :mod:`mlcourse.training.tf_loop`: :func:`fit_tf`, :func:`evaluate_tf`
  (a ``tf.function`` step).
- :mod:`mlcourse.training.callbacks`: the shared epoch loop and :class:`Callback`,
  :class:`EarlyStopping`, :class:`Checkpoint`.
- :mod:`mlcourse.training.history`: :class:`History`, the metric names, the
  progress line.
- :mod:`mlcourse.training.lr_range`: the learning-rate range test and
  :func:`smooth`, the moving average it is read with (optimizers chapter).

Nothing here imports PyTorch or TensorFlow until a fit or an evaluation runs.
The chapter "PyTorch and TensorFlow side by side" explains the loops and
checks that both give the same loss curve from the same weights and batches.
"""

from mlcourse.training.callbacks import (
    Callback,
    Checkpoint,
    EarlyStopping,
    TrainingRun,
)
from mlcourse.training.history import (
    METRICS,
    Best,
    History,
    ProgressBar,
    progress_enabled,
)
from mlcourse.training.lr_range import range_test, smooth
from mlcourse.training.tf_loop import evaluate_tf, fit_tf
from mlcourse.training.torch_loop import evaluate_torch, fit_torch

__all__ = [
    "METRICS",
    "Best",
    "Callback",
    "Checkpoint",
    "EarlyStopping",
    "History",
    "ProgressBar",
    "TrainingRun",
    "evaluate_tf",
    "evaluate_torch",
    "fit_tf",
    "fit_torch",
    "progress_enabled",
    "range_test",
    "smooth",
]
