"""Hyperparameter tuning on the digits: one training run per configuration.

The chapter "Tuning and evaluation" searches the hyperparameters of the digits
MLP (:func:`mlcourse.models.digits_mlp`, trained by SGD with momentum through
:func:`mlcourse.training.fit_torch`) with grids, random and quasi-random
points, and Optuna. Every search calls the same function::

    run = tuning.train_digits({"lr": 0.05}, splits.train, splits.val, epochs=10)
    run.score, run.val_accuracies, run.seconds, run.cpu_seconds

and Optuna gets it wrapped as an objective that reports each epoch's
validation accuracy, so that a pruner can stop a poor trial early::

    objective = tuning.optuna_objective(splits.train, splits.val, epochs=10)
    study.optimize(objective, n_trials=20)

The worker processes of :mod:`mlcourse.tuning_worker` run the same objective
against a shared storage. A run is deterministic for a given seed (initial
weights and batch order) on a given machine. Imports no framework and no
Optuna until a function needs them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlcourse.data import Dataset
from mlcourse.validation import (
    check_array,
    check_callable,
    check_int,
    check_number,
    check_sequence,
    check_torch_device,
    check_type,
)

# The hyperparameters train_digits understands, with the values used when a
# configuration leaves one out.
DEFAULTS: dict[str, float | int] = {
    "lr": 0.05,  # SGD learning rate
    "momentum": 0.9,  # SGD momentum
    "weight_decay": 0.0,  # L2 penalty added to the gradient (torch.optim.SGD)
    "hidden": 32,  # hidden ReLU units of the MLP
    "batch_size": 64,  # examples per mini-batch
}

# The search space of the chapter: (low, high) of each hyperparameter, both
# searched on a log scale. One hyperparameter matters a lot, one barely.
SEARCH_SPACE: dict[str, tuple[float, float]] = {
    "lr": (1e-4, 1.0),
    "weight_decay": (1e-6, 1e-2),
}


def check_params(params: Mapping[str, Any]) -> dict[str, float | int]:
    """A full configuration: `params` checked, with :data:`DEFAULTS` for the rest.

    Unknown names are refused (a typo such as ``"learning_rate"`` would
    otherwise be ignored silently). ``lr`` must be positive, ``momentum`` in
    ``[0, 1)``, ``weight_decay`` non-negative, ``hidden`` and ``batch_size``
    positive integers.
    """
    check_type("params", params, Mapping, "a mapping of names to values")
    for name in params:
        if name not in DEFAULTS:
            known = ", ".join(DEFAULTS)
            raise ValueError(
                f"unknown hyperparameter {name!r}; choose from {known}"
            )
    full = {**DEFAULTS, **params}
    return {
        "lr": check_number("lr", full["lr"], low=0, low_open=True),
        "momentum": check_number(
            "momentum", full["momentum"], low=0, high=1, high_open=True
        ),
        "weight_decay": check_number("weight_decay", full["weight_decay"], low=0),
        "hidden": check_int("hidden", full["hidden"], low=1),
        "batch_size": check_int("batch_size", full["batch_size"], low=1),
    }


def check_digits(name: str, data: Any) -> Dataset:
    """`data`, checked to be a digits :class:`Dataset`: 64 inputs, labels 0-9."""
    check_type(name, data, Dataset)
    if data.x.ndim != 2 or data.x.shape[1] != 64:
        raise ValueError(
            f"{name} must hold 64 inputs per example (8x8 digits), "
            f"got inputs of shape {data.x.shape}"
        )
    check_array(f"{name}.y", data.y, ndim=1, kind="iu", low=0, high=9)
    return data


@dataclass(frozen=True)
class DigitsRun:
    """One training run: configuration, validation metrics per epoch, time, model.

    ``val_accuracies[i]`` and ``val_losses[i]`` are measured after epoch
    ``i + 1`` (empty lists when the run had no validation set). ``seconds`` is
    the wall-clock time of the run; ``cpu_seconds`` the CPU time this process
    spent on it, which does not grow when other programs keep the machine
    busy. A run whose loss became NaN or infinite stopped there
    (``diverged``); its :attr:`score` is 0, below any real accuracy.
    """

    params: dict[str, float | int]
    seed: int
    val_accuracies: list[float]
    val_losses: list[float]
    epochs_run: int
    seconds: float
    cpu_seconds: float
    diverged: bool
    model: Any = field(repr=False)

    @property
    def score(self) -> float:
        """Validation accuracy after the last epoch (0: diverged; NaN: no val)."""
        if self.diverged:
            return 0.0
        return self.val_accuracies[-1] if self.val_accuracies else math.nan


def train_digits(
    params: Mapping[str, Any],
    train: Dataset,
    val: Dataset | None,
    *,
    epochs: int,
    seed: int = 0,
    callbacks: Sequence[Any] = (),
    device: str = "cpu",
) -> DigitsRun:
    """Train the digits MLP with hyperparameters `params` on `train`.

    `params` holds any of :data:`DEFAULTS` (the others keep their default).
    The model is ``digits_mlp(seed, hidden=...)``, the batches come from
    ``torch_loader(train, batch_size, seed=seed)``, the optimizer is
    ``torch.optim.SGD`` with the learning rate, momentum and weight decay
    given, and the loss is the cross-entropy; so the same `seed` gives the same
    run. `train` and `val` hold 64 inputs per example and labels 0-9; with
    ``val=None`` (a final training on all the development data) there are no
    validation metrics.
    `callbacks` (:class:`mlcourse.training.Callback`) see every epoch, e.g. to
    report to a pruner or to evaluate on another set. A diverging run stops
    and is marked ``diverged`` instead of raising. Returns a :class:`DigitsRun`.
    """
    import torch
    import torch.nn.functional as F

    from mlcourse.data import torch_loader
    from mlcourse.models import digits_mlp
    from mlcourse.training import fit_torch
    from mlcourse.training.callbacks import Callback

    config = check_params(params)
    epochs = check_int("epochs", epochs, low=1)
    seed = check_int("seed", seed, low=0)
    check_digits("train", train)
    if val is not None:
        check_digits("val", val)
    callbacks = check_sequence(
        "callbacks", callbacks, of=Callback, what="Callback objects"
    )
    check_torch_device("device", device)

    class Record(Callback):
        """Keeps each epoch's validation numbers, even if a later epoch diverges."""

        def __init__(self) -> None:
            self.accuracies: list[float] = []
            self.losses: list[float] = []
            self.epochs = 0

        def on_epoch_end(self, run, epoch, logs) -> None:
            self.epochs = epoch
            if "val_accuracy" in logs:
                self.accuracies.append(logs["val_accuracy"])
                self.losses.append(logs["val_loss"])

    record = Record()
    model = digits_mlp(seed, hidden=config["hidden"], device=device)
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=config["lr"],
        momentum=config["momentum"],
        weight_decay=config["weight_decay"],
    )
    start, start_cpu = time.perf_counter(), time.process_time()
    diverged = False
    try:
        fit_torch(
            model,
            torch_loader(train, config["batch_size"], seed=seed, device=device),
            loss_fn=F.cross_entropy,
            optimizer=optimizer,
            epochs=epochs,
            val_loader=None
            if val is None
            else torch_loader(val, 1024, shuffle=False, device=device),
            callbacks=[record, *callbacks],
            progress=False,
        )
    except FloatingPointError:  # the loss (or validation loss) became NaN or inf
        diverged = True
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - start_cpu
    return DigitsRun(
        config,
        seed,
        record.accuracies,
        record.losses,
        record.epochs,
        seconds,
        cpu_seconds,
        diverged,
        model,
    )


def suggest_params(
    trial: Any, space: Mapping[str, tuple[float, float]] | None = None
) -> dict[str, float | int]:
    """Ask an Optuna `trial` for a configuration, each value on a log scale.

    `space` maps names of :data:`DEFAULTS` to ``(low, high)`` with
    ``0 < low < high``; by default :data:`SEARCH_SPACE`. ``hidden`` and
    ``batch_size`` are drawn as integers, the others as floats.
    """
    import optuna

    check_type("trial", trial, optuna.trial.BaseTrial, "an Optuna trial")
    space = SEARCH_SPACE if space is None else check_space(space)
    params: dict[str, float | int] = {}
    for name, (low, high) in space.items():
        if isinstance(DEFAULTS[name], int):
            params[name] = trial.suggest_int(name, int(low), int(high), log=True)
        else:
            params[name] = trial.suggest_float(name, low, high, log=True)
    return params


def check_space(
    space: Mapping[str, tuple[float, float]],
) -> dict[str, tuple[float, float]]:
    """`space` checked: names of :data:`DEFAULTS`, bounds ``0 < low < high``.

    The bounds of ``hidden`` and ``batch_size`` are integers (``1 <= low < high``).
    """
    check_type("space", space, Mapping, "a mapping of names to (low, high)")
    if not space:
        raise ValueError("space is empty: name at least one hyperparameter")
    checked = {}
    for name, bounds in space.items():
        if name not in DEFAULTS:
            known = ", ".join(DEFAULTS)
            raise ValueError(
                f"unknown hyperparameter {name!r}; choose from {known}"
            )
        if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
            raise ValueError(
                f"space[{name!r}] must be a pair (low, high), got {bounds!r}"
            )
        if isinstance(DEFAULTS[name], int):  # drawn as integers: whole bounds
            low = check_int(f"{name} low", bounds[0], low=1)
            high = check_int(f"{name} high", bounds[1], low=low + 1)
        else:
            low = check_number(f"{name} low", bounds[0], low=0, low_open=True)
            high = check_number(f"{name} high", bounds[1], low=low, low_open=True)
        checked[name] = (low, high)
    return checked


def optuna_objective(
    train: Dataset,
    val: Dataset,
    *,
    epochs: int,
    seed: int = 0,
    suggest: Callable[[Any], Mapping[str, Any]] = suggest_params,
    device: str = "cpu",
) -> Callable[[Any], float]:
    """An Optuna objective: suggest a configuration, train it, return its accuracy.

    ``objective(trial)`` calls ``suggest(trial)`` (default :func:`suggest_params`),
    runs :func:`train_digits` for `epochs` with `seed`, reports the validation
    accuracy after every epoch (``trial.report(accuracy, epoch)``) and raises
    ``optuna.TrialPruned`` when the study's pruner says so. It records the
    run's seconds, CPU seconds, epochs and divergence as the trial's user
    attributes (``seconds``, ``cpu_seconds``, ``epochs``, ``diverged``). The
    study must maximize. A diverged run returns 0.
    """
    from mlcourse.training.callbacks import Callback

    epochs = check_int("epochs", epochs, low=1)
    seed = check_int("seed", seed, low=0)
    check_callable("suggest", suggest, "a function of an Optuna trial")
    check_digits("train", train)
    check_type("val", val, Dataset, "a Dataset (the objective is its accuracy)")
    check_digits("val", val)
    check_torch_device("device", device)

    class ReportToTrial(Callback):
        """Report each epoch's validation accuracy; stop when the pruner says so."""

        def __init__(self, trial) -> None:
            self.trial = trial

        def on_epoch_end(self, run, epoch, logs) -> None:
            import optuna

            self.trial.report(logs["val_accuracy"], epoch)
            if self.trial.should_prune():
                self.trial.set_user_attr("epochs", epoch)
                raise optuna.TrialPruned(f"pruned after epoch {epoch}")

    def objective(trial) -> float:
        params = suggest(trial)
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            run = train_digits(
                params,
                train,
                val,
                epochs=epochs,
                seed=seed,
                callbacks=[ReportToTrial(trial)],
                device=device,
            )
        finally:  # also for a pruned trial: its time counts against the budget
            trial.set_user_attr("seconds", time.perf_counter() - start)
            trial.set_user_attr("cpu_seconds", time.process_time() - start_cpu)
        trial.set_user_attr("epochs", run.epochs_run)
        trial.set_user_attr("diverged", run.diverged)
        return run.score

    return objective
