"""Per-layer statistics of a Keras model for one batch: :func:`keras_snapshot`."""

from __future__ import annotations

import math
from collections.abc import Callable

from mlcourse.diagnostics.layers import STATS, LayerSpec, select_from
from mlcourse.runtime import import_tensorflow
from mlcourse.validation import (
    check_array,
    check_bool,
    check_callable,
    check_type,
    describe,
)


def keras_snapshot(
    model,
    x,
    y=None,
    loss_fn: Callable | None = None,
    *,
    layers: LayerSpec = None,
    training: bool = True,
):
    """The Keras twin of :func:`snapshot`: per-layer statistics of one pass on `x`.

    `model` is a Keras model with known inputs (a ``Sequential`` that starts
    with ``keras.Input``, or a functional model). `layers` is ``None`` (the
    layers with weights), a layer name or a list of names
    (``model.get_layer(name)``), or a layer class. The pass runs with
    `training` (``True``: dropout on, batch normalization with the batch's
    statistics, as in a training step); the loss is ``loss_fn(y, outputs)``,
    Keras's argument order. Weights and batch-norm statistics are left as they
    were. Same columns as :func:`snapshot`; as there, `x` and `y` must hold at
    least one example and no NaN or inf.
    """
    import pandas as pd

    tf = import_tensorflow()
    keras = tf.keras
    check_type("model", model, keras.Model, "a Keras model")
    training = check_bool("training", training)
    try:
        inputs = model.inputs
    except AttributeError:  # a Sequential without keras.Input, not yet called
        inputs = None
    if not inputs:
        raise ValueError(
            "model has no known inputs: start a Sequential with keras.Input(shape)"
        )
    named = [(layer.name, layer) for layer in model.layers]
    chosen = select_from(named, layers, lambda layer: bool(layer.trainable_weights))
    if (y is None) != (loss_fn is None):
        raise ValueError("give both y and loss_fn (for the gradients), or neither")
    if loss_fn is not None:
        check_callable("loss_fn", loss_fn)
    if len(inputs) == 1:  # one input: one array (several: a list, passed as is)
        x = check_array("x", x, min_ndim=1, non_empty=True)
    if y is not None:
        y = check_array("y", y, min_ndim=1, non_empty=True)
    probe = keras.Model(
        inputs[0] if len(inputs) == 1 else inputs,
        [layer.output for layer in chosen.values()] + list(model.outputs),
    )
    saved = [variable.numpy() for variable in model.non_trainable_weights]
    try:
        with tf.GradientTape(persistent=True) as tape:
            results = _call("x", x, "model(x)", probe, x, training=training)
            outputs = results[len(chosen) :]
            loss = None
            if loss_fn is not None:
                output = outputs[0] if len(outputs) == 1 else outputs
                loss = _call("y", y, "loss_fn(y, model(x))", loss_fn, y, output)
                if len(getattr(loss, "shape", (None,))) != 0:
                    raise ValueError(
                        "loss_fn must return one number (the batch mean), "
                        f"got {describe(loss)}"
                    )
        rows = []
        for layer, output in zip(chosen.values(), results[: len(chosen)]):
            values = tf.cast(output, tf.float32)
            units = tf.reshape(values, [-1, values.shape[-1]])
            dead = tf.reduce_mean(
                tf.cast(tf.reduce_max(units, axis=0) <= 0, tf.float32)
            )
            weights = layer.trainable_weights
            grad_norm = math.nan
            if loss is not None and weights:
                grads = [g for g in tape.gradient(loss, weights) if g is not None]
                if grads:
                    grad_norm = float(tf.linalg.global_norm(grads))
            weight_norm = (
                float(tf.linalg.global_norm(weights)) if weights else math.nan
            )
            rows.append(
                [
                    float(tf.reduce_mean(values)),
                    float(tf.math.reduce_std(values)),
                    float(dead),
                    grad_norm,
                    weight_norm,
                    math.nan,
                ]
            )
        del tape
    finally:
        for variable, value in zip(model.non_trainable_weights, saved):
            variable.assign(value)
    frame = pd.DataFrame(rows, columns=list(STATS))
    frame.insert(0, "layer", list(chosen))
    frame.attrs["loss"] = math.nan if loss is None else float(loss)
    return frame


def _call(name: str, value, call: str, function, *args, **kwargs):
    """``function(*args, **kwargs)``; an error names the argument that caused it."""
    tf = import_tensorflow()
    try:
        return function(*args, **kwargs)
    except (ValueError, TypeError, tf.errors.InvalidArgumentError) as error:
        raise ValueError(
            f"{name} does not fit: {call} failed on {name} = {describe(value)}: "
            f"{type(error).__name__}: {error}"
        ) from error
