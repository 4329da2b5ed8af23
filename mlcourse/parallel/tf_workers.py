"""TensorFlow's multi-worker data parallelism: a ``MultiWorkerMirroredStrategy``
worker.

Started once per worker by :func:`mlcourse.parallel.launcher.run_tf_workers`,
which gives each its ``TF_CONFIG`` (the cluster's addresses and this worker's
index)::

    python -m mlcourse.parallel.tf_workers PLAN.npz [--try-fit]

`PLAN.npz` holds the initial weights in PyTorch's layout (``0.weight``,
``0.bias``, ``2.weight``, ``2.bias`` of the digits MLP), the learning rate,
and ``batches``, the example indices of each global batch, shape
``(steps, global batch)``; worker ``i`` of ``N`` trains on columns
``[i B, (i + 1) B)`` of each row, ``B = global batch / N``. Every worker saves
its final weights (PyTorch's layout again) and its losses. With
``--try-fit``, the worker then also tries Keras's ``model.fit`` under the
strategy and saves what happened.
"""

from __future__ import annotations

import json
import os
import re
import sys
import types
from collections.abc import Mapping

import numpy as np

from mlcourse.parallel import rank
from mlcourse.parallel.data import train_arrays
from mlcourse.validation import check_path, check_sequence, check_type

PLAN_WEIGHTS = ("0.weight", "0.bias", "2.weight", "2.bias")


def build_model(keras, plan) -> object:
    """The digits MLP in Keras, with the plan's initial weights.

    A Keras ``Dense`` kernel is ``(in, out)``, PyTorch's ``Linear`` weight is
    ``(out, in)``: the weights are transposed on the way in.
    """
    check_type("keras", keras, types.ModuleType, "the keras module")
    check_type("plan", plan, Mapping, "a mapping of weight names to arrays")
    missing = [name for name in PLAN_WEIGHTS if name not in plan]
    if missing:
        raise ValueError(f"plan lacks the weights {missing}")
    hidden = plan["0.weight"].shape[0]
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.set_weights(
        [plan["0.weight"].T, plan["0.bias"], plan["2.weight"].T, plan["2.bias"]]
    )
    return model


def torch_layout(model) -> dict[str, np.ndarray]:
    """The Keras model's weights under PyTorch's names and shapes."""
    if not callable(getattr(model, "get_weights", None)):
        raise TypeError(f"model must be a Keras model, got {type(model).__name__}")
    weights = model.get_weights()
    if len(weights) != 4:
        raise ValueError(
            f"model must be the digits MLP (4 weight arrays), got {len(weights)}"
        )
    w0, b0, w2, b2 = (np.asarray(w) for w in weights)
    return {"0.weight": w0.T, "0.bias": b0, "2.weight": w2.T, "2.bias": b2}


def check_argv(argv: list[str]) -> list[str]:
    """The worker's command line, checked: ``PLAN.npz`` (a file), ``--try-fit``."""
    argv = list(
        check_sequence("argv", argv, of=str, what="strings", non_empty=True)
    )
    plan = check_path("argv[0], the plan", argv[0])
    if not plan.is_file():
        raise FileNotFoundError(f"argv[0], the plan {str(plan)!r}, is not a file")
    unknown = [word for word in argv[1:] if word != "--try-fit"]
    if unknown:
        raise ValueError(f"argv holds {unknown[0]!r}; the only option is --try-fit")
    return argv


# Keras imports these when they are installed, for what a worker never uses
# (scikit-learn wrappers, DataFrame inputs, plots): about 140 MB a process.
KERAS_EXTRAS = ("sklearn", "pandas", "matplotlib")


def main(argv: list[str]) -> None:
    check_argv(argv)
    images, labels = train_arrays()  # (may use scikit-learn: before the block)
    for name in KERAS_EXTRAS:  # None in sys.modules: `import name` fails, and
        sys.modules.setdefault(name, None)  # Keras goes on without it
    from mlcourse.runtime import import_tensorflow

    tf = import_tensorflow()
    keras = tf.keras
    # One CPU replica per worker, on every machine: with GPUs visible, each
    # worker would get a replica per GPU (and TensorFloat-32 arithmetic).
    tf.config.set_visible_devices([], "GPU")
    plan = dict(np.load(argv[0]))
    batches = plan["batches"]
    global_batch = batches.shape[1]

    # Reads TF_CONFIG: which workers exist, and which one this process is.
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    workers = strategy.num_replicas_in_sync  # one CPU replica per worker here
    worker = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    local = global_batch // workers
    mine = slice(worker * local, (worker + 1) * local)

    with strategy.scope():  # variables created here are mirrored on every worker
        model = build_model(keras, plan)
        optimizer = keras.optimizers.SGD(float(plan["lr"]))

    @tf.function
    def train_step(x, y):
        def replica_step(x, y):
            with tf.GradientTape() as tape:
                logits = model(x, training=True)
                per_example = keras.losses.sparse_categorical_crossentropy(
                    y, logits, from_logits=True
                )
                # Divide by the *global* batch: the all-reduce sums to the mean.
                loss = tf.nn.compute_average_loss(
                    per_example, global_batch_size=global_batch
                )
            grads = tape.gradient(loss, model.trainable_variables)
            # Keras's optimizer all-reduces (sums) the gradients over the workers.
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return loss

        losses = strategy.run(replica_step, args=(x, y))
        return strategy.reduce("SUM", losses, axis=None)

    losses = []
    for rows in batches:
        rows = rows[mine]  # this worker's part of the global batch
        losses.append(float(train_step(images[rows], labels[rows])))
    result = {
        "worker": worker,
        "workers": workers,
        "tf_config": json.loads(os.environ["TF_CONFIG"]),
        "losses": losses,
    }
    result.update({f"final/{k}": v for k, v in torch_layout(model).items()})

    if "--try-fit" in argv:
        try:
            with strategy.scope():
                fitted = build_model(keras, plan)
                fitted.compile(
                    optimizer=keras.optimizers.SGD(float(plan["lr"])),
                    loss=keras.losses.SparseCategoricalCrossentropy(
                        from_logits=True
                    ),
                )
            fitted.fit(images[:64], labels[:64], batch_size=32, verbose=0)
            result["fit"] = "ran"
        except Exception as error:  # noqa: BLE001 - the failure is the result
            # One line for the notebook, without the tensors' values.
            message = re.sub(r"\{[^{}]*\}", "{...}", " ".join(str(error).split()))
            result["fit"] = f"{type(error).__name__}: {message[:200]}"
    rank.save_result(result, rank=worker)


if __name__ == "__main__":
    main(sys.argv[1:])
