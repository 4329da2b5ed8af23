"""Tests of mlcourse.tuning and mlcourse.tuning_worker."""

import math
import subprocess
import sys

import numpy as np
import optuna
import pytest
import torch

import mlcourse as mc
from mlcourse import tuning, tuning_worker
from mlcourse.data import Dataset

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(scope="module")
def splits():
    return mc.load_digits_splits(seed=0)


@pytest.fixture(scope="module")
def small(splits):
    """200 training and 100 validation images: enough to learn, fast to train."""
    return (
        Dataset(splits.train.x[:200], splits.train.y[:200]),
        Dataset(splits.val.x[:100], splits.val.y[:100]),
    )


# ------------------------------------------------------------------ check_params


def test_check_params_fills_in_the_defaults():
    full = tuning.check_params({"lr": 0.1})
    assert full == {**tuning.DEFAULTS, "lr": 0.1}
    assert tuning.check_params({}) == tuning.DEFAULTS


@pytest.mark.parametrize(
    "params, error, message",
    [
        (
            {"learning_rate": 0.1},
            ValueError,
            "unknown hyperparameter 'learning_rate'",
        ),
        ({"lr": 0.0}, ValueError, "lr must be > 0"),
        ({"lr": -1e-3}, ValueError, "lr must be > 0"),
        ({"lr": math.nan}, ValueError, "lr must be > 0"),
        ({"lr": "0.1"}, TypeError, "lr must be a real number"),
        ({"momentum": 1.0}, ValueError, r"momentum must be in \[0, 1\)"),
        ({"weight_decay": -1e-4}, ValueError, "weight_decay must be >= 0"),
        ({"hidden": 0}, ValueError, "hidden must be an integer >= 1"),
        ({"hidden": 32.0}, TypeError, "hidden must be an integer"),
        ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1"),
    ],
)
def test_check_params_refuses_bad_values(params, error, message):
    with pytest.raises(error, match=message):
        tuning.check_params(params)


def test_check_params_wants_a_mapping():
    with pytest.raises(TypeError, match="params must be a mapping"):
        tuning.check_params([("lr", 0.1)])


# ------------------------------------------------------------------ train_digits


def test_train_digits_learns_and_is_deterministic_per_seed(small):
    train, val = small
    a = tuning.train_digits({"lr": 0.05}, train, val, epochs=3, seed=1)
    b = tuning.train_digits({"lr": 0.05}, train, val, epochs=3, seed=1)
    c = tuning.train_digits({"lr": 0.05}, train, val, epochs=3, seed=2)
    assert a.epochs_run == 3 and len(a.val_losses) == 3 and not a.diverged
    assert a.val_accuracies == b.val_accuracies and a.val_losses == b.val_losses
    assert a.val_losses != c.val_losses  # another seed, another run
    assert a.score == a.val_accuracies[-1] > 0.5  # far above chance (0.1)
    assert a.params == {**tuning.DEFAULTS, "lr": 0.05} and a.seconds > 0
    assert 0 < a.cpu_seconds


def test_train_digits_without_validation_data(small):
    train, _ = small
    run = tuning.train_digits({}, train, None, epochs=2)
    assert run.epochs_run == 2 and run.val_accuracies == [] and not run.diverged
    assert math.isnan(run.score)
    assert run.model(torch.zeros(1, 64)).shape == (1, 10)


def test_train_digits_marks_a_diverging_run(small):
    train, val = small
    run = tuning.train_digits({"lr": 1e4}, train, val, epochs=3)
    assert run.diverged and run.score == 0.0 and run.epochs_run < 3


def test_train_digits_calls_the_callbacks(small):
    train, val = small
    seen = []

    class Spy(mc.training.Callback):
        def on_epoch_end(self, run, epoch, logs):
            seen.append((epoch, logs["val_accuracy"]))

    run = tuning.train_digits({}, train, val, epochs=2, callbacks=[Spy()])
    assert seen == list(zip([1, 2], run.val_accuracies))


def test_train_digits_refuses_bad_input(small):
    train, val = small
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        tuning.train_digits({}, train, val, epochs=0)
    with pytest.raises(ValueError, match="unknown hyperparameter 'lr_max'"):
        tuning.train_digits({"lr_max": 1.0}, train, val, epochs=1)
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        tuning.train_digits({}, train, val, epochs=1, seed=-1)
    with pytest.raises(TypeError, match="train must be Dataset"):
        tuning.train_digits({}, (train.x, train.y), val, epochs=1)
    with pytest.raises(ValueError, match="val must hold 64 inputs per example"):
        tuning.train_digits({}, train, Dataset(val.x[:, :10], val.y), epochs=1)


# ------------------------------------------------------- search space and Optuna


def test_suggest_params_draws_inside_the_space_on_a_log_scale():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    space = {"lr": (1e-4, 1.0), "hidden": (8, 64)}
    drawn = []
    for _ in range(200):
        trial = study.ask()
        drawn.append(tuning.suggest_params(trial, space))
        study.tell(trial, 0.0)
    lrs = np.array([p["lr"] for p in drawn])
    assert lrs.min() >= 1e-4 and lrs.max() <= 1.0
    # log scale: about a quarter of the draws in each of the four decades
    assert 0.15 < np.mean(lrs < 1e-3) < 0.35
    assert all(
        isinstance(p["hidden"], int) and 8 <= p["hidden"] <= 64 for p in drawn
    )
    assert set(tuning.suggest_params(study.ask())) == set(tuning.SEARCH_SPACE)


@pytest.mark.parametrize(
    "space, message",
    [
        ({}, "space is empty"),
        ({"learning_rate": (1e-4, 1.0)}, "unknown hyperparameter 'learning_rate'"),
        ({"lr": (0.0, 1.0)}, "lr low must be > 0"),
        ({"lr": (1.0, 1e-4)}, "lr high must be > 1"),
        ({"lr": (1e-3, 1e-3)}, "lr high must be > 0.001"),
        ({"lr": 0.1}, "must be a pair"),
    ],
)
def test_check_space_refuses_bad_spaces(space, message):
    with pytest.raises(ValueError, match=message):
        tuning.check_space(space)


def test_optuna_objective_reports_every_epoch_and_records_attributes(small):
    train, val = small
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0)
    )
    study.optimize(tuning.optuna_objective(train, val, epochs=3), n_trials=2)
    for trial in study.trials:
        assert trial.state == optuna.trial.TrialState.COMPLETE
        assert sorted(trial.intermediate_values) == [1, 2, 3]
        assert trial.value == trial.intermediate_values[3]
        assert trial.user_attrs["epochs"] == 3 and trial.user_attrs["seconds"] > 0
        assert trial.user_attrs["cpu_seconds"] > 0
        assert set(trial.params) == set(tuning.SEARCH_SPACE)


def test_optuna_objective_matches_train_digits(small):
    train, val = small
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial({"lr": 0.05, "weight_decay": 1e-4})
    study.optimize(
        tuning.optuna_objective(train, val, epochs=2, seed=3), n_trials=1
    )
    run = tuning.train_digits(
        {"lr": 0.05, "weight_decay": 1e-4}, train, val, epochs=2, seed=3
    )
    assert study.trials[0].value == run.score


def test_optuna_objective_is_pruned_when_the_pruner_says_so(small):
    train, val = small

    class AlwaysPrune(optuna.pruners.BasePruner):
        def prune(self, study, trial):
            return True

    study = optuna.create_study(direction="maximize", pruner=AlwaysPrune())
    study.optimize(tuning.optuna_objective(train, val, epochs=5), n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert (
        list(trial.intermediate_values) == [1] and trial.user_attrs["epochs"] == 1
    )
    assert trial.user_attrs["seconds"] > 0


def test_optuna_objective_refuses_bad_input(small):
    train, val = small
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        tuning.optuna_objective(train, val, epochs=-2)
    with pytest.raises(TypeError, match="epochs must be an integer"):
        tuning.optuna_objective(train, val, epochs=2.5)
    with pytest.raises(TypeError, match="suggest must be a function"):
        tuning.optuna_objective(train, val, epochs=2, suggest={"lr": 0.1})
    with pytest.raises(TypeError, match="val must be a Dataset"):
        tuning.optuna_objective(train, None, epochs=2)


# ------------------------------------------------------------------ the worker


def make_study(tmp_path, name="digits"):
    path = tmp_path / "study.log"
    optuna.create_study(
        study_name=name,
        storage=tuning_worker.journal_storage(path),
        direction="maximize",
    )
    return path


def test_run_worker_adds_its_trials_to_the_shared_study(tmp_path):
    path = make_study(tmp_path)
    assert (
        tuning_worker.run_worker(path, "digits", trials=2, epochs=1, worker=3) == 2
    )
    assert (
        tuning_worker.run_worker(path, "digits", trials=1, epochs=1, worker=4) == 1
    )
    study = optuna.load_study(
        study_name="digits", storage=tuning_worker.journal_storage(path)
    )
    assert [t.number for t in study.trials] == [0, 1, 2]
    assert [t.user_attrs["worker"] for t in study.trials] == [3, 3, 4]
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)


def test_run_worker_refuses_bad_input(tmp_path):
    path = make_study(tmp_path)
    with pytest.raises(ValueError, match="trials must be an integer >= 1"):
        tuning_worker.run_worker(path, "digits", trials=0, epochs=1)
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        tuning_worker.run_worker(path, "digits", trials=1, epochs=0)
    with pytest.raises(FileNotFoundError, match="no study storage"):
        tuning_worker.run_worker(
            tmp_path / "missing.log", "digits", trials=1, epochs=1
        )
    with pytest.raises(KeyError):  # Optuna's error for a study that does not exist
        tuning_worker.run_worker(path, "no-such-study", trials=1, epochs=1)


def test_journal_storage_wants_a_path():
    with pytest.raises(TypeError, match="path must be a file path"):
        tuning_worker.journal_storage("")


def test_the_worker_runs_as_a_module(tmp_path):
    path = make_study(tmp_path)
    command = [
        sys.executable,
        "-m",
        "mlcourse.tuning_worker",
        "--storage",
        str(path),
    ]
    command += [
        "--study",
        "digits",
        "--trials",
        "1",
        "--epochs",
        "1",
        "--worker",
        "7",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "worker 7" in done.stdout and "1 trials finished" in done.stdout
    assert done.stderr == ""  # Optuna's INFO lines are silenced
    bad = subprocess.run(
        [*command[:-1], "-1"], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode != 0 and "worker must be an integer >= 0" in bad.stderr


def test_parse_args_reads_a_good_command_line(tmp_path):
    path = make_study(tmp_path)
    args = tuning_worker.parse_args(
        ["--storage", str(path), "--study", "digits", "--trials", "3"]
        + ["--epochs", "2", "--worker", "1", "--sampler-seed", "5"]
    )
    assert (args.trials, args.epochs, args.worker) == (3, 2, 1)
    assert (args.sampler_seed, args.threads) == (5, 1)  # threads: the default
    with pytest.raises(ValueError, match="--trials must be an integer >= 1"):
        tuning_worker.parse_args(
            ["--storage", str(path), "--study", "digits"]
            + ["--trials", "0", "--epochs", "1"]
        )
