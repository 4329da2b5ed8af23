"""Per-layer statistics: activations, gradients and update-to-weight ratios.

The troubleshooting chapter uses them to diagnose dead ReLUs, bad
initializations, exploding and vanishing gradients and learning rates that are
too small or too large; the capstone watches the update-to-weight ratios of a
small GPT with them. Three ways in::

    with diagnostics.record(model, optimizer, layers=nn.Linear) as recorder:
        training.fit_torch(model, loader, loss_fn=loss_fn, optimizer=optimizer, ...)
    table = recorder.table()  # one row per (optimizer step, layer)
    diagnostics.plot(table, "grad_norm")  # one line per layer, over the steps

    diagnostics.snapshot(model, x, y, loss_fn)  # one batch, one row per layer
    diagnostics.keras_snapshot(keras_model, x, y, loss_fn)  # the same for Keras

The statistics (the columns of every table, see :data:`STATS`):

- ``act_mean``, ``act_std``: mean and standard deviation of the layer's output;
- ``act_dead``: the fraction of its units (the last axis of the output: the
  features of a dense layer or of a transformer block) that are never positive
  on the batch; after a ReLU such a unit passes no gradient;
- ``grad_norm``: the L2 norm of the gradients of the layer's parameters;
- ``weight_norm``: the L2 norm of the parameters (before the update);
- ``update_ratio``: ``‖Δθ‖ / ‖θ‖``, how far one optimizer step moved the
  parameters relative to their size (:func:`record` only).

A statistic that does not apply is NaN (no parameters, no gradient, no tensor
output). The parts, one module each: :mod:`~mlcourse.diagnostics.layers` (the
statistics' names, choosing layers), :mod:`~mlcourse.diagnostics.torch_stats`
(:func:`record`, :func:`snapshot`), :mod:`~mlcourse.diagnostics.keras_stats`
(:func:`keras_snapshot`) and :mod:`~mlcourse.diagnostics.plotting`
(:func:`plot`). Importing them imports no framework.
"""

from mlcourse.diagnostics.keras_stats import keras_snapshot
from mlcourse.diagnostics.layers import STATS, select_layers
from mlcourse.diagnostics.plotting import plot
from mlcourse.diagnostics.torch_stats import Recorder, record, snapshot

__all__ = [
    "STATS",
    "Recorder",
    "keras_snapshot",
    "plot",
    "record",
    "select_layers",
    "snapshot",
]
