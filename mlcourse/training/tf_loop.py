"""The book's TensorFlow training loop: :func:`fit_tf` and :func:`evaluate_tf`.

A ``tf.GradientTape`` step, compiled with ``tf.function``, inside the same
outer loop as :func:`mlcourse.training.torch_loop.fit_torch` (same history,
metrics, callbacks, progress line and NaN check). TensorFlow is imported
through :func:`mlcourse.import_tensorflow` when a function is called.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence

from mlcourse.runtime import import_tensorflow
from mlcourse.training.callbacks import (
    Callback,
    Totals,
    TrainingRun,
    check_callbacks,
    first_non_finite,
    run_epochs,
)
from mlcourse.training.history import (
    History,
    ProgressBar,
    check_metrics,
    progress_enabled,
)
from mlcourse.validation import check_bool, check_callable, check_int, describe


def _accuracy_sum(outputs, targets):
    """Correct predictions in a batch (float64): argmax of logits, or logit > 0."""
    tf = import_tensorflow()
    if outputs.shape.rank == targets.shape.rank + 1:
        predicted = tf.argmax(outputs, axis=-1)
        correct = tf.equal(predicted, tf.cast(targets, predicted.dtype))
    elif outputs.shape.is_compatible_with(targets.shape):
        correct = tf.equal(tf.cast(outputs > 0, targets.dtype), targets)
    else:
        raise ValueError(
            "accuracy needs outputs of shape (n, classes) for labels (n,), or "
            f"equal shapes for binary logits; got outputs {tuple(outputs.shape)} "
            f"and targets {tuple(targets.shape)}"
        )
    return tf.reduce_sum(tf.cast(correct, tf.float64))


def _mae_sum(outputs, targets):
    """Absolute error of a batch, averaged per example and summed (float64)."""
    tf = import_tensorflow()
    if (
        outputs.shape.rank != targets.shape.rank
        or not outputs.shape.is_compatible_with(targets.shape)
    ):
        raise ValueError(
            "mae needs outputs and targets of the same shape (no broadcasting); "
            f"got {tuple(outputs.shape)} and {tuple(targets.shape)}"
        )
    errors = tf.abs(tf.cast(outputs, tf.float64) - tf.cast(targets, tf.float64))
    return tf.reduce_sum(
        tf.reduce_mean(tf.reshape(errors, [tf.shape(errors)[0], -1]), axis=1)
    )


METRIC_SUMS: dict[str, Callable] = {"accuracy": _accuracy_sum, "mae": _mae_sum}


def _check_dataset(dataset, name: str):
    """The (inputs, targets) signature of a tf.data.Dataset, any batch size."""
    tf = import_tensorflow()
    if not isinstance(dataset, tf.data.Dataset):
        hint = (
            ": wrap it with mc.tf_dataset(data, batch_size)"
            if type(dataset).__name__ == "Dataset"
            else ""
        )
        raise TypeError(
            f"{name} must be a tf.data.Dataset of (inputs, targets) batches, "
            f"got {describe(dataset)}{hint}"
        )
    spec = dataset.element_spec
    if not (
        isinstance(spec, tuple)
        and len(spec) == 2
        and all(isinstance(s, tf.TensorSpec) for s in spec)
    ):
        raise TypeError(
            f"{name} must yield (inputs, targets) pairs of tensors, "
            f"got elements {spec}"
        )
    if any(s.shape.rank == 0 for s in spec):
        raise ValueError(
            f"{name} yields scalars, not batches: call .batch(...) on it"
        )
    if any(s.shape.rank is None for s in spec):
        return None  # shapes unknown: let tf.function generalize by itself
    return tuple(tf.TensorSpec([None, *s.shape[1:]], s.dtype) for s in spec)


def _check_loss(loss) -> None:
    if getattr(getattr(loss, "shape", None), "rank", None) is None:
        raise TypeError(
            f"loss_fn must return a tensor (the batch mean), got {describe(loss)}"
        )
    if loss.shape.rank != 0:
        raise ValueError(
            "loss_fn must return one number (the batch mean), got a tensor of "
            f"shape {tuple(loss.shape)}"
        )


def _check_model(model) -> None:
    """`model`, checked to be callable with variables (Keras model, tf.Module)."""
    if not callable(model) or not hasattr(model, "trainable_variables"):
        raise TypeError(
            "model must be a Keras model (or a callable tf.Module), "
            f"got {describe(model)}"
        )


def _regularization(model):
    """The sum of the model's extra losses (regularizers), as Keras's fit adds."""
    tf = import_tensorflow()
    extra = list(getattr(model, "losses", []))
    return tf.add_n(extra) if extra else None


def _make_steps(
    model,
    loss_fn,
    optimizer,
    metrics,
    compile: bool,
    train_signature,
    eval_signature,
):
    """The training and evaluation steps, under ``tf.function`` when `compile`.

    The signatures leave the batch size open, so each step is traced once even
    when the last batch is smaller.
    """
    tf = import_tensorflow()

    def train_step(x, y):
        with tf.GradientTape() as tape:
            outputs = model(x, training=True)
            loss = loss_fn(y, outputs)  # Keras's order: (targets, predictions)
            _check_loss(loss)
            extra = _regularization(model)
            if extra is not None:
                loss = loss + extra
        variables = model.trainable_variables
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        # A NaN can reach the gradients but not the loss: a loss that skips
        # examples (an ignored label) never sees theirs, and on some x86 CPUs
        # oneDNN's fused MatMul + bias + ReLU turns a NaN activation into 0.
        # So check the gradients too.
        grad_norm = tf.linalg.global_norm(gradients)
        return loss, [METRIC_SUMS[name](outputs, y) for name in metrics], grad_norm

    def eval_step(x, y):
        outputs = model(x, training=False)
        loss = loss_fn(y, outputs)
        _check_loss(loss)
        extra = _regularization(model)
        if extra is not None:
            loss = loss + extra
        return loss, [METRIC_SUMS[name](outputs, y) for name in metrics], None

    if not compile:
        return train_step, eval_step
    return (
        tf.function(
            train_step, input_signature=train_signature, reduce_retracing=True
        ),
        tf.function(
            eval_step, input_signature=eval_signature, reduce_retracing=True
        ),
    )


def _check_batch(x, y, epoch: int | None, step: int) -> int:
    n, m = x.shape[0], y.shape[0]
    if n != m:
        where = (
            f"epoch {epoch}, step {step}" if epoch is not None else f"batch {step}"
        )
        raise ValueError(f"{where}: the batch has {n} inputs but {m} targets")
    return int(n)


def _run_over(dataset, step_fn, metrics, epoch, progress=None) -> Totals:
    """Call `step_fn` on every batch; collect losses and metric sums at the end."""
    tf = import_tensorflow()
    losses, sizes, values, grad_norms = [], [], [[] for _ in metrics], []
    for step, (x, y) in enumerate(dataset, start=1):
        sizes.append(_check_batch(x, y, epoch, step))
        loss, batch_sums, grad_norm = step_fn(x, y)
        losses.append(loss)
        grad_norms.append(grad_norm)
        for collected, value in zip(values, batch_sums):
            collected.append(value)
        if progress is not None:
            progress.update(step, loss)
    if not losses:
        return Totals([], [], {})
    step_losses = tf.cast(tf.stack(losses), tf.float64).numpy().tolist()
    sums = {
        name: float(tf.add_n(collected)) for name, collected in zip(metrics, values)
    }
    norms = None if grad_norms[0] is None else tf.stack(grad_norms).numpy().tolist()
    return Totals(step_losses, sizes, sums, norms)


def _variables(model) -> list:
    """All of a model's state: Keras weights (with batch-norm statistics).

    Or a tf.Module's variables.
    """
    return (
        list(model.weights)
        if hasattr(model, "get_weights")
        else list(model.variables)
    )


class _TFRun(TrainingRun):
    """One call to :func:`fit_tf`: the compiled steps and the weights."""

    def __init__(self, model, train_dataset, val_dataset, steps, metrics):
        super().__init__(model, metrics, has_validation=val_dataset is not None)
        self.train_dataset, self.val_dataset, self.metrics = (
            train_dataset,
            val_dataset,
            metrics,
        )
        self.train_step, self.eval_step = steps
        cardinality = int(train_dataset.cardinality())  # < 0 for generators
        self.steps_per_epoch = cardinality if cardinality >= 0 else None

    def train_epoch(self, progress: ProgressBar) -> Totals:
        return _run_over(
            self.train_dataset, self.train_step, self.metrics, self.epoch, progress
        )

    def validate(self) -> Totals | None:
        if self.val_dataset is None:
            return None
        return _run_over(self.val_dataset, self.eval_step, self.metrics, None)

    def get_weights(self) -> list:
        return [variable.numpy() for variable in _variables(self.model)]

    def set_weights(self, weights: list) -> None:
        for variable, value in zip(_variables(self.model), weights, strict=True):
            variable.assign(value)

    def save(self, path: str | os.PathLike) -> None:
        path = str(path)
        if not path.endswith((".keras", ".weights.h5")):
            raise ValueError(
                "a Keras checkpoint path must end in .weights.h5 or .keras, "
                f"got {path!r}"
            )
        with warnings.catch_warnings():
            # Keras 3.15 converts variables with np.array(variable), which NumPy 2
            # flags with a DeprecationWarning about the `copy` keyword; the saved
            # values are unaffected.
            warnings.filterwarnings(
                "ignore",
                message="__array__ implementation",
                category=DeprecationWarning,
            )
            if path.endswith(".keras"):
                self.model.save(path)
            else:
                self.model.save_weights(path)


def _prepare(model, optimizer, signature) -> None:
    """Create the model's and the optimizer's variables before tracing the step."""
    if not getattr(model, "built", True):
        if signature is None:
            raise ValueError(
                "the model is not built and the data's shapes are unknown: "
                "give the model an Input, or call model.build(input_shape) first"
            )
        model.build(tuple(signature[0].shape))
    if not model.trainable_variables:
        raise ValueError("the model has no trainable variables")
    if hasattr(optimizer, "built") and not optimizer.built:
        optimizer.build(model.trainable_variables)


def evaluate_tf(
    model,
    dataset,
    *,
    loss_fn: Callable,
    metrics: Sequence[str] = ("accuracy",),
    compile: bool = True,
) -> dict[str, float]:
    """Loss and metrics of `model` over `dataset` (``training=False``), per example.

    Like Keras's ``evaluate``, the loss includes the model's extra losses
    (regularizers). Returns e.g. ``{"loss": 0.31, "accuracy": 0.92}``. Checks
    its arguments as :func:`fit_tf` does, and raises ``FloatingPointError``
    naming the first batch whose loss is NaN or infinite.
    """
    _check_model(model)
    check_callable("loss_fn", loss_fn, "a loss function (targets, outputs) -> loss")
    metrics = check_metrics(metrics)
    compile = check_bool("compile", compile)
    signature = _check_dataset(dataset, "dataset")
    _, eval_step = _make_steps(
        model, loss_fn, None, metrics, compile, signature, signature
    )
    totals = _run_over(dataset, eval_step, metrics, None)
    if not totals.losses:
        raise ValueError("the data gave no batches: is it empty?")
    bad = first_non_finite(totals.losses)
    if bad is not None:
        raise FloatingPointError(
            f"loss became {totals.losses[bad]} at batch {bad + 1}"
        )
    return totals.logs("")


def fit_tf(
    model,
    train_dataset,
    *,
    loss_fn: Callable,
    optimizer,
    epochs: int,
    val_dataset=None,
    metrics: Sequence[str] = ("accuracy",),
    callbacks: Sequence[Callback] = (),
    progress: bool | None = None,
    compile: bool = True,
) -> History:
    """Train a Keras `model` for `epochs` passes over `train_dataset`.

    Returns the :class:`~mlcourse.training.history.History`. The TensorFlow
    twin of :func:`mlcourse.training.torch_loop.fit_torch`, with the same
    history, metrics, callbacks, progress line and errors. Each step runs
    ``model(x, training=True)`` and ``loss_fn(y, outputs)`` (Keras's argument
    order; the loss must be the batch mean) under a ``tf.GradientTape``, adds
    the model's regularization losses as Keras's ``fit`` does, and applies the
    gradients with the Keras `optimizer`. With `compile` (the default) the step
    is a ``tf.function``, traced once for any batch size; ``compile=False``
    runs it eagerly, for debugging.

    `train_dataset` and `val_dataset` are ``tf.data.Dataset`` objects of
    ``(inputs, targets)`` batches, e.g. from :func:`mlcourse.tf_dataset`.

    Besides each step's loss, the global norm of each step's gradients is
    checked for NaN and infinity, because a NaN can reach the gradients without
    reaching the loss: on every machine when the loss skips the example it came
    from (an ignored label), and on some x86 CPUs when oneDNN's fused kernel
    (matrix product + bias + ReLU; see ``TF_ENABLE_ONEDNN_OPTS``) turns a NaN
    activation into 0. The error then says "gradients became nan at epoch E,
    step S".
    """
    _check_model(model)
    check_callable("loss_fn", loss_fn, "a loss function (targets, outputs) -> loss")
    if not callable(getattr(optimizer, "apply_gradients", None)):
        raise TypeError(
            f"optimizer must be a Keras optimizer (with apply_gradients), "
            f"got {describe(optimizer)}"
        )
    epochs = check_int("epochs", epochs, low=1)
    metrics = check_metrics(metrics)
    callbacks = check_callbacks(callbacks)
    compile = check_bool("compile", compile)
    signature = _check_dataset(train_dataset, "train_dataset")
    val_signature = (
        signature
        if val_dataset is None
        else _check_dataset(val_dataset, "val_dataset")
    )
    _prepare(model, optimizer, signature)
    steps = _make_steps(
        model, loss_fn, optimizer, metrics, compile, signature, val_signature
    )
    run = _TFRun(model, train_dataset, val_dataset, steps, metrics)
    progress_bar = ProgressBar(epochs, progress_enabled(progress))
    return run_epochs(run, epochs, callbacks, progress_bar)
