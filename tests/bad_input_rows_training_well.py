"""Bad-input rows for mlcourse.tuning, mlcourse.tuning_worker and
mlcourse.diagnostics (the chapters on tuning and troubleshooting).

Imported by :mod:`test_bad_inputs`, which runs the rows and checks that
every public callable of ``MODULES`` has some. The objects the rows share (a
small PyTorch and Keras model, a study journal, a statistics table) are built
once, when a row first needs them; no row trains or starts a process.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

import numpy as np
from bad_input_table import (
    INF,
    NAN,
    NOT_A_BOOL,
    NOT_A_CHOICE,
    NOT_CALLABLE,
    ROWS,  # noqa: F401
    add,
    add_labelled,
    integers,
    numbers,
    one,
    without_none,
)

import mlcourse as mc
from mlcourse import tuning, tuning_worker
from mlcourse.data import Dataset
from mlcourse.diagnostics import keras_stats, layers, plotting, torch_stats
from mlcourse.reference import optimizers

# The modules these rows cover in full.
MODULES: list[str] = [
    "mlcourse.tuning",
    "mlcourse.tuning_worker",
    "mlcourse.diagnostics",
    "mlcourse.diagnostics.keras_stats",
    "mlcourse.diagnostics.layers",
    "mlcourse.diagnostics.plotting",
    "mlcourse.diagnostics.torch_stats",
]

# Public methods only the library calls, after checking what it passes.
HOOKS: dict[str, str] = {}

# Public callables with no bad input to give.
NOTHING_TO_REFUSE: dict[str, str] = {
    "mlcourse.tuning.DigitsRun": (
        "a frozen record that train_digits builds from checked values"
    ),
    "mlcourse.tuning_worker.main": (
        "the command line: it passes argv to parse_args, whose rows cover every "
        "bad argument, and turns the error into argparse's usage message and "
        "exit status 2 (a SystemExit, which test_tuning checks in a subprocess)"
    ),
}


# "Not given": a row's helper builds its default object (None may be the bad value).
DEFAULT = object()


# ================================================================ mlcourse.tuning
def digits(n=8, labels=None, features=64):
    x = np.zeros((n, features), dtype=np.float32)
    y = np.arange(n) % 10 if labels is None else labels
    return Dataset(x, y)


DIGITS = digits()
# Bad datasets, each with the label its rows get in the test ids.
NOT_DIGITS = [
    ("None", None, TypeError),
    ("array", np.zeros((8, 64)), TypeError),
    ("tuple", (np.zeros((8, 64)), np.zeros(8)), TypeError),
    ("8-inputs", digits(features=8), ValueError),
    ("8x8-inputs", Dataset(np.zeros((8, 8, 8)), np.arange(8)), ValueError),
]
BAD_LABELS = [
    ("label-10", digits(labels=np.arange(8) + 3), ValueError),
    ("label--1", digits(labels=np.arange(8) - 1), ValueError),
    ("float-labels", digits(labels=np.zeros(8)), TypeError),
    ("2d-labels", digits(labels=np.zeros((8, 2), dtype=int)), ValueError),
]


NOT_A_DEVICE = [("gpu", ValueError), (3, TypeError), (None, TypeError)]

add(
    tuning.check_params,
    "params",
    tuning.check_params,
    [(None, TypeError), ("lr", TypeError), ([("lr", 0.1)], TypeError)],
)
add(
    tuning.check_params,
    "hyperparameter",
    lambda v: tuning.check_params({v: 0.1}),
    [("learning_rate", ValueError), (3, ValueError)],
    match=r"unknown hyperparameter .*; choose from lr",
)
HYPERPARAMETERS = [
    ("lr", numbers(0, low_open=True)),
    ("momentum", numbers(0, 1, high_open=True)),
    ("weight_decay", numbers(0)),
    ("hidden", integers(1)),
    ("batch_size", integers(1)),
]
for name, bad in HYPERPARAMETERS:
    add(
        tuning.check_params,
        name,
        lambda v, name=name: tuning.check_params({name: v}),
        bad,
    )

add_labelled(
    tuning.check_digits,
    "train",
    lambda v: tuning.check_digits("train", v),
    NOT_DIGITS,
)
add_labelled(
    tuning.check_digits,
    "train.y",
    lambda v: tuning.check_digits("train", v),
    BAD_LABELS,
)


def train_digits(**overrides):
    args = dict(params={}, train=DIGITS, val=DIGITS, epochs=1)
    args.update(overrides)
    return tuning.train_digits(**args)


add(
    tuning.train_digits,
    "params",
    lambda v: train_digits(params=v),
    [(None, TypeError), ("lr=0.1", TypeError)],
)
add(
    tuning.train_digits,
    "hyperparameter",
    lambda v: train_digits(params={v: 0.1}),
    [("learning_rate", ValueError)],
    match="unknown hyperparameter 'learning_rate'",
)
for name, bad in HYPERPARAMETERS:
    add(
        tuning.train_digits,
        name,
        lambda v, name=name: train_digits(params={name: v}),
        bad[:1] + [bad[-1]],  # the rest are check_params's rows
    )
add_labelled(
    tuning.train_digits, "train", lambda v: train_digits(train=v), NOT_DIGITS
)
add_labelled(
    tuning.train_digits, "train.y", lambda v: train_digits(train=v), BAD_LABELS
)
add_labelled(
    tuning.train_digits,
    "val",
    lambda v: train_digits(val=v),
    NOT_DIGITS[1:],  # None: no validation set
)
add_labelled(
    tuning.train_digits, "val.y", lambda v: train_digits(val=v), BAD_LABELS[:2]
)
add(tuning.train_digits, "epochs", lambda v: train_digits(epochs=v), integers(1))
add(tuning.train_digits, "seed", lambda v: train_digits(seed=v), integers(0))
add(
    tuning.train_digits,
    "callbacks",
    lambda v: train_digits(callbacks=v),
    [(None, TypeError), ("early_stopping", TypeError), ([3], TypeError)],
)
add(
    tuning.train_digits,
    "device",
    lambda v: train_digits(device=v),
    NOT_A_DEVICE,
)


@cache
def fixed_trial():
    import optuna

    return optuna.trial.FixedTrial({"lr": 0.01, "weight_decay": 1e-4})


BAD_SPACES = [
    ("space=None", None, TypeError, r"space must be a mapping"),
    ("space=list", [("lr", (1e-3, 1))], TypeError, r"space must be a mapping"),
    ("space={}", {}, ValueError, r"space is empty"),
    ("space=bogus", {"bogus": (1e-3, 1)}, ValueError, r"hyperparameter 'bogus'"),
    ("space=lr-number", {"lr": 0.1}, ValueError, r"space\['lr'\] must be a pair"),
    ("space=lr-one", {"lr": (1e-3,)}, ValueError, r"space\['lr'\] must be a pair"),
    ("space=lr-str", {"lr": "ab"}, ValueError, r"space\['lr'\] must be a pair"),
    ("space=lr-0", {"lr": (0, 1)}, ValueError, r"lr low must be > 0"),
    ("space=lr-nan", {"lr": (NAN, 1)}, ValueError, r"lr low must be > 0"),
    ("space=lr--inf", {"lr": (-INF, 1)}, ValueError, r"lr low must be > 0"),
    ("space=lr-str-low", {"lr": ("1e-3", 1)}, TypeError, r"lr low must be a real"),
    ("space=lr-None", {"lr": (None, 1)}, TypeError, r"lr low must be a real"),
    ("space=lr-down", {"lr": (1e-3, 1e-4)}, ValueError, r"lr high must be > 0.001"),
    ("space=lr-equal", {"lr": (1e-3, 1e-3)}, ValueError, r"lr high must be >"),
    ("space=lr-inf", {"lr": (1e-3, INF)}, ValueError, r"lr high must be .*finite"),
    ("space=lr-nan-high", {"lr": (1e-3, NAN)}, ValueError, r"lr high must be"),
    ("space=hidden-float", {"hidden": (1.5, 8)}, TypeError, r"hidden low must"),
    ("space=hidden-0", {"hidden": (0, 8)}, ValueError, r"hidden low must be"),
    ("space=hidden-equal", {"hidden": (8, 8)}, ValueError, r"hidden high must be"),
    ("space=hidden-True", {"hidden": (4, True)}, TypeError, r"hidden high must"),
]
for label, space, error, match in BAD_SPACES:
    one(
        tuning.check_space,
        label,
        lambda space=space: tuning.check_space(space),
        error,
        match,
    )
for label, space, error, match in BAD_SPACES[1::3]:  # (None: the default)
    one(
        tuning.suggest_params,
        label,
        lambda space=space: tuning.suggest_params(fixed_trial(), space),
        error,
        match,
    )
add(
    tuning.suggest_params,
    "trial",
    tuning.suggest_params,
    [(None, TypeError), ("trial", TypeError), ({"lr": 0.1}, TypeError)],
)


def objective(**overrides):
    args = dict(train=DIGITS, val=DIGITS, epochs=1)
    args.update(overrides)
    return tuning.optuna_objective(**args)


add_labelled(
    tuning.optuna_objective, "train", lambda v: objective(train=v), NOT_DIGITS
)
add_labelled(
    tuning.optuna_objective, "train.y", lambda v: objective(train=v), BAD_LABELS
)
add_labelled(tuning.optuna_objective, "val", lambda v: objective(val=v), NOT_DIGITS)
add_labelled(
    tuning.optuna_objective, "val.y", lambda v: objective(val=v), BAD_LABELS[:2]
)
add(tuning.optuna_objective, "epochs", lambda v: objective(epochs=v), integers(1))
add(tuning.optuna_objective, "seed", lambda v: objective(seed=v), integers(0))
add(
    tuning.optuna_objective,
    "suggest",
    lambda v: objective(suggest=v),
    NOT_CALLABLE + [({"lr": 0.1}, TypeError)],
)
add(
    tuning.optuna_objective,
    "device",
    lambda v: objective(device=v),
    NOT_A_DEVICE,
)


# ================================================================ mlcourse.tuning_worker
@cache
def folder() -> Path:
    """A temporary folder holding ``study.log``: a study that maximizes
    (``digits``) and one that minimizes (``loss``); removed at exit."""
    import optuna

    path = Path(tempfile.mkdtemp(prefix="bad-input-rows-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    storage = tuning_worker.journal_storage(path / "study.log")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.create_study(study_name="digits", storage=storage, direction="maximize")
    optuna.create_study(study_name="loss", storage=storage, direction="minimize")
    return path


def study_file() -> str:
    return str(folder() / "study.log")


NOT_A_PATH = [(None, TypeError), ("", TypeError), (3, TypeError)]

add(
    tuning_worker.journal_storage, "path", tuning_worker.journal_storage, NOT_A_PATH
)
one(
    tuning_worker.journal_storage,
    "path=a-folder",
    lambda: tuning_worker.journal_storage(folder()),
    IsADirectoryError,
    r"path '.*' is a folder, not a journal file",
)
one(
    tuning_worker.journal_storage,
    "path=in-a-missing-folder",
    lambda: tuning_worker.journal_storage(folder() / "missing" / "study.log"),
    FileNotFoundError,
    r"path '.*study.log': there is no folder",
)

add(
    tuning_worker.check_study,
    "storage_path",
    lambda v: tuning_worker.check_study(v, "digits"),
    NOT_A_PATH,
)
one(
    tuning_worker.check_study,
    "storage_path=missing",
    lambda: tuning_worker.check_study(folder() / "missing.log", "digits"),
    FileNotFoundError,
    r"storage_path: no study storage at .*missing\.log",
)
one(
    tuning_worker.check_study,
    "storage_path=a-folder",
    lambda: tuning_worker.check_study(folder(), "digits"),
    FileNotFoundError,
    r"storage_path: no study storage at .*\(not a file\)",
)
add(
    tuning_worker.check_study,
    "study_name",
    lambda v: tuning_worker.check_study(study_file(), v),
    [(None, TypeError), (3, TypeError), (["digits"], TypeError)],
)
add(
    tuning_worker.check_study,
    "study_name",
    lambda v: tuning_worker.check_study(study_file(), v),
    [("bogus", KeyError), ("", KeyError)],
    match=r"study_name '\w*': no such study in .* \(it holds 'digits', 'loss'\)",
)
one(
    tuning_worker.check_study,
    "study_name=minimizes",
    lambda: tuning_worker.check_study(study_file(), "loss"),
    ValueError,
    r"study_name 'loss': the study must maximize",
)


def run_worker(**overrides):
    args = dict(storage_path=study_file(), study_name="digits", trials=1, epochs=1)
    args.update(overrides)
    return tuning_worker.run_worker(**args)


for name, bad in [
    ("trials", integers(1)),
    ("epochs", integers(1)),
    ("worker", integers(0)),
    ("sampler_seed", without_none(integers(0, 2**32 - 1))),
    ("split_seed", integers(0, 2**32 - 1)),
    ("storage_path", NOT_A_PATH),
    ("study_name", [(None, TypeError), (3, TypeError)]),
]:
    add(
        tuning_worker.run_worker,
        name,
        lambda v, name=name: run_worker(**{name: v}),
        bad,
    )
one(
    tuning_worker.run_worker,
    "storage_path=missing",
    lambda: run_worker(storage_path=folder() / "missing.log"),
    FileNotFoundError,
    r"storage_path: no study storage",
)
one(
    tuning_worker.run_worker,
    "study_name=bogus",
    lambda: run_worker(study_name="bogus"),
    KeyError,
    r"study_name 'bogus': no such study",
)


def command_line(*replace: str, drop: str | None = None) -> list[str]:
    """A valid command line with `replace` (option, value pairs) swapped in."""
    options = {
        "--storage": study_file(),
        "--study": "digits",
        "--trials": "1",
        "--epochs": "1",
    }
    options.update(dict(zip(replace[::2], replace[1::2])))
    options.pop(drop, None)
    return [part for pair in options.items() for part in pair]


PARSE = tuning_worker.parse_args
add(
    PARSE,
    "argv",
    PARSE,
    [("--trials 1", TypeError), (3, TypeError), ([3], TypeError)],
)
for option in ("--storage", "--study", "--trials", "--epochs"):
    one(
        PARSE,
        f"argv=without-{option}",
        lambda option=option: PARSE(command_line(drop=option)),
        ValueError,
        rf"the following arguments are required: {option}",
    )
one(
    PARSE,
    "argv=--bogus",
    lambda: PARSE([*command_line(), "--bogus"]),
    ValueError,
    r"unrecognized arguments: --bogus",
)
one(
    PARSE,
    "argv=--trials-without-value",
    lambda: PARSE([*command_line(), "--trials"]),
    ValueError,
    r"argument --trials: expected one argument",
)
for option, values in [
    ("--trials", ["x", "2.5", "nan", "0"]),
    ("--epochs", ["", "-1", "0"]),
    ("--worker", ["one", "-1"]),
    ("--sampler-seed", ["-1", str(2**32)]),
    ("--threads", ["0", "1.0"]),
]:
    for value in values:
        one(
            PARSE,
            f"{option}={value!r}",
            lambda option=option, value=value: PARSE(command_line(option, value)),
            ValueError,
            rf"(argument )?{option}(:| must be)",
        )
one(
    PARSE,
    "--storage=missing",
    lambda: PARSE(command_line("--storage", str(folder() / "missing.log"))),
    FileNotFoundError,
    r"no study storage at .*missing\.log",
)
one(
    PARSE,
    "--study=bogus",
    lambda: PARSE(command_line("--study", "bogus")),
    KeyError,
    r"study_name 'bogus': no such study",
)
one(
    PARSE,
    "--study=minimizes",
    lambda: PARSE(command_line("--study", "loss")),
    ValueError,
    r"study_name 'loss': the study must maximize",
)


# ================================================================ mlcourse.diagnostics
def torch_model():
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)
    )


@cache
def torch_batch():
    import torch

    return torch.zeros(5, 4), torch.zeros(5, dtype=torch.long)


def torch_sgd(model):
    import torch

    return torch.optim.SGD(model.parameters(), lr=0.1)


def cross_entropy(outputs, targets):
    import torch.nn.functional as F

    return F.cross_entropy(outputs, targets)


def per_example_loss(outputs, targets):
    import torch.nn.functional as F

    return F.cross_entropy(outputs, targets, reduction="none")


def constant_loss(outputs, targets):
    import torch

    return torch.tensor(1.0)


def not_a_torch_model():
    return [(None, TypeError), ("net", TypeError), (torch_model, TypeError)]


def bad_layer_choices():
    """Bad `layers` for the PyTorch model above (its modules "0", "1", "2")."""
    import torch

    return [
        (3, TypeError),
        ([3], TypeError),
        ((torch.nn.Linear, 3), TypeError),
        ([], ValueError),
        ("missing", ValueError),
        (["0", "missing"], ValueError),
        (torch.nn.Conv2d, ValueError),
    ]


# ---------------------------------------------------------------- layers
NAMED = [("a", object()), ("b", object())]
add(
    layers.select_from,
    "named",
    lambda v: layers.select_from(v, None, bool),
    [
        (None, TypeError),
        ("ab", TypeError),
        ([["a", 1]], TypeError),
        ([("a",)], ValueError),
        ([(3, object())], ValueError),
    ],
)
add(
    layers.select_from,
    "layers",
    lambda v: layers.select_from(NAMED, v, bool),
    [
        (3, TypeError),
        ([3], TypeError),
        ([], ValueError),
        ("missing", ValueError),
        ((int, str), ValueError),
    ],
)
add(
    layers.select_from,
    "has_weights",
    lambda v: layers.select_from(NAMED, None, v),
    NOT_CALLABLE,
)
add(
    layers.select_layers,
    "model",
    layers.select_layers,
    not_a_torch_model(),
)
add(
    layers.select_layers,
    "layers",
    lambda v: layers.select_layers(torch_model(), v),
    bad_layer_choices(),
)
add(
    layers.first_tensor,
    "tensor_type",
    lambda v: layers.first_tensor((1, 2), v),
    [(None, TypeError), ("Tensor", TypeError), (3, TypeError)],
)


# ---------------------------------------------------------------- torch_stats
for target in (torch_stats.Recorder, torch_stats.record):

    def recorder(target=target, model=DEFAULT, optimizer=DEFAULT, **options):
        model = torch_model() if model is DEFAULT else model
        optimizer = torch_sgd(model) if optimizer is DEFAULT else optimizer
        return target(model, optimizer, **options)

    add(
        target,
        "model",
        lambda v, recorder=recorder: recorder(model=v, optimizer="unused"),
        not_a_torch_model(),
    )
    add(
        target,
        "optimizer",
        lambda v, recorder=recorder: recorder(optimizer=v),
        [("sgd", TypeError), (3, TypeError), (optimizers.SGD(0.1), TypeError)],
    )
    add(
        target,
        "every",
        lambda v, recorder=recorder: recorder(every=v),
        integers(1),
    )
    add(
        target,
        "layers",
        lambda v, recorder=recorder: recorder(layers=v),
        bad_layer_choices(),
    )


def snapshot(model=DEFAULT, **overrides):
    x, y = torch_batch()
    args = dict(x=x, y=y, loss_fn=cross_entropy)
    args.update(overrides)
    return torch_stats.snapshot(
        torch_model() if model is DEFAULT else model, **args
    )


def torch_values(*shape, fill=0.0, dtype=None):
    import torch

    return torch.full(shape, fill, dtype=dtype)


SNAPSHOT = torch_stats.snapshot
add(SNAPSHOT, "model", lambda v: snapshot(model=v), not_a_torch_model())
add(SNAPSHOT, "layers", lambda v: snapshot(layers=v), bad_layer_choices())
add(
    SNAPSHOT,
    "x",
    lambda v: snapshot(x=v),
    [
        (None, TypeError),
        ("abc", TypeError),
        (object(), TypeError),
        (3.0, ValueError),
        ([], ValueError),
    ],
)
one(
    SNAPSHOT,
    "x=nan",
    lambda: snapshot(x=torch_values(5, 4, fill=NAN)),
    ValueError,
    r"x holds 20 non-finite value\(s\)",
)
one(
    SNAPSHOT,
    "x=inf",
    lambda: snapshot(x=np.full((5, 4), -INF)),
    ValueError,
    r"x holds 20 non-finite value\(s\)",
)
one(
    SNAPSHOT,
    "x=wrong-shape",
    lambda: snapshot(x=torch_values(5, 7)),
    ValueError,
    r"x does not fit: model\(x\) failed on x = a Tensor of shape \(5, 7\)",
)
one(
    SNAPSHOT,
    "y=without-loss_fn",
    lambda: snapshot(loss_fn=None),
    ValueError,
    r"give both y and loss_fn",
)
one(
    SNAPSHOT,
    "loss_fn=without-y",
    lambda: snapshot(y=None),
    ValueError,
    r"give both y and loss_fn",
)
add(
    SNAPSHOT,
    "loss_fn",
    lambda v: snapshot(loss_fn=v),
    without_none(NOT_CALLABLE),  # None: see "y=without-loss_fn"
)
add(
    SNAPSHOT,
    "y",
    lambda v: snapshot(y=v),
    [("abc", TypeError), (7, ValueError), ([], ValueError)],
)
one(
    SNAPSHOT,
    "y=wrong-length",
    lambda: snapshot(y=torch_values(4, dtype=torch_values(1).long().dtype)),
    ValueError,
    r"y does not fit: loss_fn\(model\(x\), y\) failed on y",
)
one(
    SNAPSHOT,
    "y=nan",
    lambda: snapshot(y=np.array([0.0, 1.0, NAN, 0.0, 1.0])),
    ValueError,
    r"y holds 1 non-finite value\(s\)",
)
one(
    SNAPSHOT,
    "loss_fn=per-example",
    lambda: snapshot(loss_fn=per_example_loss),
    ValueError,
    r"loss_fn must return one number \(the batch mean\), got a Tensor",
)
one(
    SNAPSHOT,
    "loss_fn=constant",
    lambda: snapshot(loss_fn=constant_loss),
    ValueError,
    r"loss_fn must return a loss computed from model\(x\)",
)


# ---------------------------------------------------------------- keras_stats
@cache
def keras_model():
    tf = mc.import_tensorflow()
    keras = tf.keras
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(3, name="out"),
        ]
    )


def keras_without_inputs():
    tf = mc.import_tensorflow()
    return tf.keras.Sequential([tf.keras.layers.Dense(3)])


def keras_loss(targets, outputs):
    tf = mc.import_tensorflow()
    return tf.keras.losses.sparse_categorical_crossentropy(
        targets, outputs, from_logits=True
    )  # one loss per example: not a batch mean


def keras_mean_loss(targets, outputs):
    tf = mc.import_tensorflow()
    return tf.reduce_mean(keras_loss(targets, outputs))


def keras_snapshot(model=DEFAULT, **overrides):
    args = dict(
        x=np.zeros((5, 4), dtype=np.float32),
        y=np.zeros(5, dtype=np.int64),
        loss_fn=keras_mean_loss,
    )
    args.update(overrides)
    return keras_stats.keras_snapshot(
        keras_model() if model is DEFAULT else model, **args
    )


KERAS = keras_stats.keras_snapshot
add(
    KERAS,
    "model",
    lambda v: keras_snapshot(model=v),
    [(None, TypeError), ("net", TypeError), (3, TypeError)],
)
one(
    KERAS,
    "model=torch",
    lambda: keras_snapshot(model=torch_model()),
    TypeError,
    r"model must be a Keras model, got Sequential",
)
one(
    KERAS,
    "model=without-inputs",
    lambda: keras_snapshot(model=keras_without_inputs()),
    ValueError,
    r"model has no known inputs",
)
add(
    KERAS,
    "x",
    lambda v: keras_snapshot(x=v),
    [
        (None, TypeError),
        ("abc", TypeError),
        (3.0, ValueError),
        ([], ValueError),
    ],
)
add_labelled(
    KERAS,
    "x",
    lambda v: keras_snapshot(x=v),
    [
        ("nan", np.full((5, 4), NAN), ValueError),
        ("inf", np.full((5, 4), INF), ValueError),
    ],
)
one(
    KERAS,
    "x=wrong-shape",
    lambda: keras_snapshot(x=np.zeros((5, 7), dtype=np.float32)),
    ValueError,
    r"x does not fit: model\(x\) failed on x = a ndarray of shape \(5, 7\)",
)
add(
    KERAS,
    "y",
    lambda v: keras_snapshot(y=v),
    [(None, ValueError), ("abc", TypeError), (7, ValueError), ([], ValueError)],
    match=r"\by\b",
)
one(
    KERAS,
    "y=wrong-length",
    lambda: keras_snapshot(y=np.zeros(4, dtype=np.int64)),
    ValueError,
    r"y does not fit: loss_fn\(y, model\(x\)\) failed on y",
)
add(
    KERAS,
    "loss_fn",
    lambda v: keras_snapshot(loss_fn=v),
    without_none(NOT_CALLABLE) + [(None, ValueError)],
)
one(
    KERAS,
    "loss_fn=per-example",
    lambda: keras_snapshot(loss_fn=keras_loss),
    ValueError,
    r"loss_fn must return one number \(the batch mean\)",
)
add(KERAS, "training", lambda v: keras_snapshot(training=v), NOT_A_BOOL)
add(
    KERAS,
    "layers",
    lambda v: keras_snapshot(layers=v),
    [(3, TypeError), ([], ValueError), ("missing", ValueError), ([1], TypeError)],
)


# ---------------------------------------------------------------- plotting
@cache
def tables():
    """A recorded table (steps 1 and 2, two layers) and a snapshot table."""
    import pandas as pd

    stats = {name: [1.0, 2.0, 3.0, 4.0] for name in layers.STATS}
    recorded = pd.DataFrame(
        {"step": [1, 1, 2, 2], "layer": ["0", "2"] * 2, **stats}
    )
    snapshot = recorded[recorded["step"] == 1].drop(columns="step")
    return recorded, snapshot


def plot(table=DEFAULT, stat="grad_norm", **options):
    table = tables()[0] if table is DEFAULT else table
    return plotting.plot(table, stat, **options)


def plot_snapshot(against="layer", **options):
    return plotting.plot(tables()[1], "act_mean", against=against, **options)


def axes():
    from matplotlib.figure import Figure

    return Figure().add_subplot()


PLOT = plotting.plot
add(
    PLOT,
    "table",
    lambda v: PLOT(v, "grad_norm"),
    [
        (None, TypeError),
        ({"layer": ["0"]}, TypeError),
        (np.zeros((2, 7)), TypeError),
    ],
)
one(
    PLOT,
    "table=without-the-column",
    lambda: plot(tables()[0].drop(columns="grad_norm")),
    ValueError,
    r"table must have the columns 'layer' and 'grad_norm'",
)
one(
    PLOT,
    "table=empty",
    lambda: plot(tables()[0].iloc[:0]),
    ValueError,
    r"table is empty",
)
add(PLOT, "stat", lambda v: plot(stat=v), NOT_A_CHOICE)
add(PLOT, "against", lambda v: plot(against=v), NOT_A_CHOICE)
one(
    PLOT,
    "against=step-for-a-snapshot",
    lambda: plot_snapshot(against="step"),
    ValueError,
    r"a snapshot has no steps: use against='layer'",
)
add(
    PLOT,
    "layers",
    lambda v: plot(layers=v),
    [(3, TypeError), ([], ValueError), ("missing", ValueError), ([0], ValueError)],
)
add(
    PLOT,
    "steps",
    lambda v: plot(against="layer", steps=v),
    [("12", TypeError), (3, TypeError), ([], ValueError), ([1, 99], ValueError)],
)
one(
    PLOT,
    "steps=with-against-step",
    lambda: plot(steps=[1]),
    ValueError,
    r"steps chooses the recorded steps drawn with against='layer'",
)
one(
    PLOT,
    "steps=for-a-snapshot",
    lambda: plot_snapshot(steps=[1]),
    ValueError,
    r"steps chooses the recorded steps",
)
add(
    PLOT,
    "ax",
    lambda v: plot(ax=v),
    [("ax", TypeError), (3, TypeError), (axes, TypeError)],
)
add(PLOT, "logy", lambda v: plot(logy=v), without_none(NOT_A_BOOL))
add(
    PLOT,
    "label",
    lambda v: plot_snapshot(label=v),
    [(3, TypeError), (["a"], TypeError)],
)
add(
    PLOT,
    "line_options",
    lambda v: plot(**v),
    [({"bogus": 1}, TypeError), ({"color": "not-a-colour"}, TypeError)],
)
