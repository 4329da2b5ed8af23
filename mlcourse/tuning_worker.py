"""A worker process of a shared Optuna study: take trials from a storage, run them.

The chapter "Tuning and evaluation" creates a study in an Optuna journal file,
then starts several of these workers on it, each its own Python process::

    python -m mlcourse.tuning_worker --storage /tmp/study.log --study digits \\
        --trials 8 --epochs 10 --worker 0

Each worker loads the study, asks its sampler (a seeded TPE, one seed per
worker) for configurations given every trial already in the storage, trains
them with :func:`mlcourse.tuning.optuna_objective`, and records the results
there, tagged with its worker number and process id. Nothing is pickled from
the notebook: the objective is the one in :mod:`mlcourse.tuning`. A worker
stops early when the process that started it has gone, so it never outlives
its notebook by more than one trial.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from mlcourse.validation import check_int, check_path, check_sequence, check_type


def journal_storage(path: str | os.PathLike):
    """An Optuna storage kept in the journal file at `path` (created if missing).

    Several processes on one machine may share it: the file is locked while a
    process appends to it.
    """
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    path = check_path("path", path)
    if path.is_dir():
        raise IsADirectoryError(
            f"path {str(path)!r} is a folder, not a journal file"
        )
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"path {str(path)!r}: there is no folder {str(path.parent)!r} to "
            "create the journal file in"
        )
    return JournalStorage(JournalFileBackend(str(path)))


def check_study(storage_path: str | os.PathLike, study_name: str):
    """The storage of an existing study that maximizes, after checking both.

    A missing file is a ``FileNotFoundError``; a study that the file does not
    hold is a ``KeyError`` (as in Optuna), listing the studies it does hold;
    a study that minimizes is a ``ValueError`` (its objective is an accuracy).
    """
    import optuna

    path = check_path("storage_path", storage_path)
    check_type("study_name", study_name, str)
    if not path.is_file():
        raise FileNotFoundError(
            f"storage_path: no study storage at {storage_path} (not a file)"
        )
    storage = journal_storage(path)
    directions = {s.study_name: s.directions for s in storage.get_all_studies()}
    if study_name not in directions:
        listed = ", ".join(repr(name) for name in sorted(directions)) or "none"
        raise KeyError(
            f"study_name {study_name!r}: no such study in {path} "
            f"(it holds {listed})"
        )
    if directions[study_name] != [optuna.study.StudyDirection.MAXIMIZE]:
        raise ValueError(
            f"study_name {study_name!r}: the study must maximize one objective "
            "(a validation accuracy), this one does not"
        )
    return storage


def run_worker(
    storage_path: str | os.PathLike,
    study_name: str,
    *,
    trials: int,
    epochs: int,
    worker: int = 0,
    sampler_seed: int | None = None,
    split_seed: int = 0,
) -> int:
    """Run `trials` trials of the study `study_name` kept in `storage_path`.

    The study must exist (created by the notebook) and maximize. Trials train
    the digits MLP on ``load_digits_splits(seed=split_seed)`` for `epochs`
    epochs; the sampler is TPE seeded with `sampler_seed` (by default
    ``worker``), so two workers do not draw the same random start-up points;
    no trial is pruned. Each trial gets the user attributes ``worker`` and
    ``pid``. Returns the number of trials this worker finished.
    """
    import optuna

    from mlcourse.data import load_digits_splits
    from mlcourse.tuning import optuna_objective, train_digits

    trials = check_int("trials", trials, low=1)
    epochs = check_int("epochs", epochs, low=1)
    worker = check_int("worker", worker, low=0)
    sampler_seed = worker if sampler_seed is None else sampler_seed
    sampler_seed = check_int("sampler_seed", sampler_seed, low=0, high=2**32 - 1)
    split_seed = check_int("split_seed", split_seed, low=0, high=2**32 - 1)
    storage = check_study(storage_path, study_name)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(
        study_name=study_name,
        storage=storage,
        sampler=optuna.samplers.TPESampler(seed=sampler_seed),
        pruner=optuna.pruners.NopPruner(),  # (the default is a median rule)
    )
    splits = load_digits_splits(seed=split_seed)
    # Pay the one-off start-up costs (PyTorch sets up its optimizers on first
    # use) before the first trial, so that trial durations are comparable.
    train_digits({}, splits.train, None, epochs=1)
    train_one = optuna_objective(splits.train, splits.val, epochs=epochs)
    parent = os.getppid()

    def objective(trial) -> float:
        trial.set_user_attr("worker", worker)
        trial.set_user_attr("pid", os.getpid())
        return train_one(trial)

    def stop_if_orphaned(study, trial) -> None:
        if os.getppid() != parent:  # the notebook's kernel has gone
            study.stop()

    before = _finished_by(study, worker)
    study.optimize(objective, n_trials=trials, callbacks=[stop_if_orphaned])
    return _finished_by(study, worker) - before


def _finished_by(study, worker: int) -> int:
    return sum(
        1
        for t in study.get_trials(deepcopy=False)
        if t.state.is_finished() and t.user_attrs.get("worker") == worker
    )


class _ArgumentParser(argparse.ArgumentParser):
    """argparse's parser, raising a ``ValueError`` where it would print and exit."""

    def error(self, message: str):
        raise ValueError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="python -m mlcourse.tuning_worker", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--storage", required=True, help="the journal file")
    parser.add_argument("--study", required=True, help="the study's name")
    parser.add_argument("--trials", type=int, required=True)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--worker", type=int, default=0)
    parser.add_argument("--sampler-seed", type=int, default=None)
    parser.add_argument(
        "--threads", type=int, default=1, help="PyTorch threads (default 1)"
    )
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line `argv` (default ``sys.argv[1:]``), parsed and checked.

    A bad argument (missing, unknown, not an integer, out of range, a storage
    without the study) raises ``ValueError``, ``TypeError``, an ``OSError`` or
    ``KeyError`` naming it, before anything starts; :func:`main` turns that
    into argparse's usage message and exit status 2.
    """
    if argv is not None:
        argv = check_sequence("argv", argv, of=str, what="strings")
    args = _parser().parse_args(argv)
    check_int("--threads", args.threads, low=1)
    check_int("--trials", args.trials, low=1)
    check_int("--epochs", args.epochs, low=1)
    check_int("--worker", args.worker, low=0)
    if args.sampler_seed is not None:
        check_int("--sampler-seed", args.sampler_seed, low=0, high=2**32 - 1)
    check_study(args.storage, args.study)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: parse `argv`, run :func:`run_worker`, print a summary.

    A bad argument prints the usage and the error, and exits with status 2.
    """
    try:
        args = parse_args(argv)
    except (TypeError, ValueError, OSError) as error:
        _usage_error(str(error))
    except KeyError as error:  # its str() is the repr of the message
        _usage_error(error.args[0])
    import torch

    # Workers share the machine's cores: one thread each, no oversubscription.
    torch.set_num_threads(args.threads)
    done = run_worker(
        args.storage,
        args.study,
        trials=args.trials,
        epochs=args.epochs,
        worker=args.worker,
        sampler_seed=args.sampler_seed,
    )
    print(f"worker {args.worker} (pid {os.getpid()}): {done} trials finished")
    return 0


def _usage_error(message: str) -> NoReturn:
    """Print the usage and `message` to stderr, exit with status 2 (as argparse)."""
    parser = _parser()
    parser.print_usage(sys.stderr)
    parser.exit(2, f"{parser.prog}: error: {message}\n")


if __name__ == "__main__":
    sys.exit(main())
