"""How much does an epoch through mlcourse's fits cost over the bare loop it wraps?

    .venv/bin/python scripts/benchmark_fit.py [--epochs 60] [--clock cpu|wall]

(or ``make benchmark``). For PyTorch and TensorFlow, a small MLP (64-64-10) is
trained on the digits training set (batches of 32) in two ways:

- the *bare loop*: forward, loss, backward, optimizer step, and each step's
  loss kept (as any loop that reports its loss does), written out below;
- ``fit_torch`` / ``fit_tf`` with ``progress=False`` and no validation.

Each comparison is made twice: without metrics, and with ``"accuracy"`` (the
bare loop then counts correct predictions too).

The design is paired. One fit runs ``--epochs`` epochs; a callback times each
of them (``on_epoch_begin`` to ``on_epoch_end``: everything the fit adds per
epoch, its checks, NaN test, metric averages and history, included) and runs
one epoch of the bare loop right next to it, alternately before and after.
Each pair sees the same machine conditions, so the ratio fit / bare within a
pair is steady even when the machine's load drifts; the script reports the
median of those ratios (the first pair, with tracing and warm-up, dropped).

The clock is this process's CPU time by default: on a machine shared with
other programs, elapsed time mostly measures who else is running. Both
frameworks use one CPU thread, since for a model this small more threads only
add synchronisation. PyTorch reads batches from ``mc.torch_loader``;
TensorFlow from batches held in memory, since ``mc.tf_dataset`` calls into
Python once per batch, which costs more than the step itself and would bury
the overhead in noise. Exits with status 1 when an overhead exceeds 5%.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(
    0, str(Path(__file__).resolve().parents[1])
)  # run from a checkout without installing

import mlcourse as mc  # noqa: E402
from mlcourse import training  # noqa: E402

BATCH_SIZE, HIDDEN, LEARNING_RATE = 32, 64, 0.05
OVERHEAD_LIMIT = 0.05
CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]  # set from --clock in main()


class PairedTimer(training.Callback):
    """Times every fit epoch, and one bare epoch next to it (before it on even epochs, after on odd)."""

    def __init__(self, bare_epoch):
        self.bare_epoch = bare_epoch
        self.fit_seconds: list[float] = []
        self.bare_seconds: list[float] = []

    def _time_bare(self):
        start = clock()
        self.bare_epoch()
        self.bare_seconds.append(clock() - start)

    def on_epoch_begin(self, run, epoch):
        if epoch % 2 == 0:
            self._time_bare()
        self._start = clock()

    def on_epoch_end(self, run, epoch, logs):
        self.fit_seconds.append(clock() - self._start)
        if epoch % 2 == 1:
            self._time_bare()


# ------------------------------------------------------------------ PyTorch


def torch_model(torch):
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(64, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 10)
    )


def torch_bare_epoch(torch, splits, accuracy):
    """One epoch of the bare PyTorch loop, as a function (its model and optimizer persist)."""
    model = torch_model(torch)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    loader = mc.torch_loader(splits.train, BATCH_SIZE, seed=1)

    def epoch():
        model.train()
        losses, correct = [], []
        for x, y in loader:
            outputs = model(x)
            loss = loss_fn(outputs, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
            if accuracy:
                correct.append((outputs.detach().argmax(dim=-1) == y).sum())
        torch.stack(losses).tolist()
        if accuracy:
            torch.stack(correct).sum().item()

    return epoch


def torch_paired(torch, splits, epochs, accuracy):
    model = torch_model(torch)
    timer = PairedTimer(torch_bare_epoch(torch, splits, accuracy))
    training.fit_torch(
        model,
        mc.torch_loader(splits.train, BATCH_SIZE, seed=0),
        loss_fn=torch.nn.CrossEntropyLoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=LEARNING_RATE),
        epochs=epochs,
        metrics=("accuracy",) if accuracy else (),
        callbacks=[timer],
        progress=False,
    )
    return timer


# ------------------------------------------------------------------ TensorFlow


def keras_model(keras):
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(HIDDEN, activation="relu"),
            keras.layers.Dense(10),
        ]
    )


def tf_batches(tf, splits):
    """The training set in batches of 32, held in memory."""
    return tf.data.Dataset.from_tensor_slices(
        (splits.train.x, splits.train.y)
    ).batch(BATCH_SIZE)


def tf_bare_epoch(tf, splits, accuracy):
    """One epoch of the bare TensorFlow loop (a tf.function step), as a function."""
    keras = tf.keras
    model = keras_model(keras)
    optimizer = keras.optimizers.SGD(LEARNING_RATE)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    dataset = tf_batches(tf, splits)
    spec = [tf.TensorSpec([None, 64], tf.float32), tf.TensorSpec([None], tf.int64)]

    @tf.function(input_signature=spec)
    def step(x, y):
        with tf.GradientTape() as tape:
            outputs = model(x, training=True)
            loss = loss_fn(y, outputs)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        if accuracy:
            return loss, tf.reduce_sum(
                tf.cast(tf.equal(tf.argmax(outputs, axis=-1), y), tf.float64)
            )
        return loss, tf.constant(0.0, tf.float64)

    def epoch():
        losses, correct = [], []
        for x, y in dataset:
            loss, batch_correct = step(x, y)
            losses.append(loss)
            correct.append(batch_correct)
        tf.stack(losses).numpy()
        if accuracy:
            float(tf.add_n(correct))

    return epoch


def tf_paired(tf, splits, epochs, accuracy):
    keras = tf.keras
    timer = PairedTimer(tf_bare_epoch(tf, splits, accuracy))
    training.fit_tf(
        keras_model(keras),
        tf_batches(tf, splits),
        loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=keras.optimizers.SGD(LEARNING_RATE),
        epochs=epochs,
        metrics=("accuracy",) if accuracy else (),
        callbacks=[timer],
        progress=False,
    )
    return timer


# ------------------------------------------------------------------ the comparison


def report(name: str, timer: PairedTimer) -> float:
    """Print the medians and the median paired overhead (first pair dropped); return the overhead."""
    fit, bare = timer.fit_seconds[1:], timer.bare_seconds[1:]
    ratios = [f / b for f, b in zip(fit, bare)]
    overhead = statistics.median(ratios) - 1
    quartiles = statistics.quantiles(ratios, n=4)
    verdict = "ok" if overhead <= OVERHEAD_LIMIT else "TOO SLOW"
    print(
        f"{name:<34} {1e3 * statistics.median(bare):9.2f} {1e3 * statistics.median(fit):9.2f} "
        f"{100 * overhead:+8.1f}%  [{100 * (quartiles[0] - 1):+.1f}%, {100 * (quartiles[2] - 1):+.1f}%]  {verdict}",
        flush=True,
    )
    return overhead


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--epochs",
        type=int,
        default=60,
        help="epochs per fit, each paired with a bare epoch",
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="cpu",
        help="cpu: this process's CPU time (default; robust on a shared machine); wall: elapsed time",
    )
    args = parser.parse_args()
    if args.epochs < 3:
        parser.error("--epochs must be at least 3")
    global clock
    clock = CLOCKS[args.clock]

    mc.seed_everything(0)
    import torch

    tf = mc.import_tensorflow()
    torch.set_num_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    splits = mc.load_digits_splits(seed=0)
    print(
        f"digits: {len(splits.train)} training images, batches of {BATCH_SIZE}, MLP 64-{HIDDEN}-10, 1 thread, "
        f"{args.clock} time; {args.epochs - 1} paired epochs each"
    )
    print(
        f"PyTorch {torch.__version__}, TensorFlow {tf.__version__}, Python {sys.version.split()[0]}"
    )
    print(
        f"{'':<34} {'bare ms':>9} {'fit ms':>9} {'overhead':>9}  [quartiles of the pairs]  "
        f"(limit +{100 * OVERHEAD_LIMIT:.0f}%)"
    )
    overheads = []
    for accuracy in (False, True):
        label = "with accuracy" if accuracy else "loss only"
        overheads.append(
            report(
                f"PyTorch epoch, {label}",
                torch_paired(torch, splits, args.epochs, accuracy),
            )
        )
        overheads.append(
            report(
                f"TensorFlow epoch, {label}",
                tf_paired(tf, splits, args.epochs, accuracy),
            )
        )
    worst = max(overheads)
    print(
        f"largest overhead: {100 * worst:+.1f}% (limit +{100 * OVERHEAD_LIMIT:.0f}%)"
    )
    return 0 if worst <= OVERHEAD_LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
