"""Bad-input rows for mlcourse.parallel and mlcourse.gpt (distributed training and the capstone).

Imported by :mod:`test_bad_inputs`, which runs the rows and checks that
every public callable of ``MODULES`` has some.

Launching is slow and must not happen on a bad argument: every row of the
launcher and of :class:`~mlcourse.gpt.runs.TrainingProcess` runs with
``subprocess.Popen`` replaced by a function that fails the row, and the rows
of ``python -m mlcourse.parallel`` with a process group that cannot be
joined. The experiments of the rank programs take their options from the
command line: their rows go through :func:`parse_experiments`, which checks
them before any rank starts.
"""

from __future__ import annotations

import json
import os
import random
import sys
from functools import partial
from unittest import mock

import numpy as np
import torch
from bad_input_table import (
    NOT_A_BOOL,
    NOT_A_CHOICE,
    NOT_A_STRING,
    NOT_CALLABLE,
    ROWS,  # noqa: F401
    add,
    add_labelled,
    integers,
    numbers,
    one,
    probability,
)

from mlcourse.gpt import checkpoint as ckpt
from mlcourse.gpt import data as gdata
from mlcourse.gpt import model as gmodel
from mlcourse.gpt import runs
from mlcourse.gpt import train as gtrain
from mlcourse.parallel import __main__ as entry
from mlcourse.parallel import (
    collectives,
    data_parallel,
    launcher,
    parameter_server,
    rank,
    tf_workers,
)

# The modules these rows cover in full. mlcourse.parallel.launcher and
# mlcourse.gpt.checkpoint have rows for every public callable too (below),
# but cannot be listed yet: they define exception classes, for which
# inspect.signature raises ValueError in test_bad_inputs.takes_arguments.
MODULES: list[str] = [
    "mlcourse.parallel",
    "mlcourse.parallel.__main__",
    "mlcourse.parallel.launcher",
    "mlcourse.parallel.rank",
    "mlcourse.parallel.data",
    "mlcourse.parallel.collectives",
    "mlcourse.parallel.data_parallel",
    "mlcourse.parallel.parameter_server",
    "mlcourse.parallel.tensor_parallel",
    "mlcourse.parallel.tf_workers",
    "mlcourse.parallel.scaling",
    "mlcourse.parallel.sharding",
    "mlcourse.gpt",
    "mlcourse.gpt.checkpoint",
    "mlcourse.gpt.model",
    "mlcourse.gpt.data",
    "mlcourse.gpt.runs",
    "mlcourse.gpt.train",
]

EXPERIMENT = (
    "an experiment: python -m mlcourse.parallel calls it with the RankInfo it "
    "built and the options parse_experiments checked (rows below)"
)

# Public methods only the library calls, after checking what it passes.
HOOKS: dict[str, str] = {
    **dict.fromkeys(
        [
            f"mlcourse.parallel.{name}"
            for name in [
                "collectives.basics",
                "collectives.ring",
                "collectives.timings",
                "collectives.hello",
                "data_parallel.ddp_training",
                "data_parallel.hand_all_reduce",
                "data_parallel.accumulation",
                "data_parallel.buckets",
                "parameter_server.train",
                "tensor_parallel.linear_layers",
                "scaling.throughput",
                "sharding.fsdp_vs_ddp",
            ]
        ],
        EXPERIMENT,
    ),
    "mlcourse.parallel.collectives.rank_input": (
        "called by basics with the rank and world size of its RankInfo"
    ),
    "mlcourse.parallel.collectives.ring_all_reduce": (
        "called by ring and timings on the tensors they built"
    ),
    "mlcourse.parallel.data_parallel.epochs_of_batches": (
        "called by ddp_training and sharding.train with checked options"
    ),
    "mlcourse.parallel.data_parallel.bucket_logger": (
        "called by accumulation and buckets with a list of their own"
    ),
    **dict.fromkeys(
        [
            "mlcourse.parallel.parameter_server.ParameterServer",
            "mlcourse.parallel.parameter_server.ParameterServer.push",
            "mlcourse.parallel.parameter_server.pull",
            "mlcourse.parallel.parameter_server.run_worker",
        ],
        "the server's state and its RPC functions: train builds the server and "
        "starts the workers with its checked options",
    ),
    **dict.fromkeys(
        [
            "mlcourse.parallel.tensor_parallel.column_parallel",
            "mlcourse.parallel.tensor_parallel.row_parallel",
        ],
        "called by linear_layers with the shards it cut",
    ),
    **dict.fromkeys(
        [
            "mlcourse.parallel.scaling.average_gradients",
            "mlcourse.parallel.scaling.sgd_step",
            "mlcourse.parallel.scaling.timed_steps",
        ],
        "called by throughput (and timed_steps) on the model and batch it built",
    ),
    **dict.fromkeys(
        [
            "mlcourse.parallel.sharding.local_part",
            "mlcourse.parallel.sharding.bytes_on_this_rank",
            "mlcourse.parallel.sharding.train",
        ],
        "called by fsdp_vs_ddp with the models and checked options it has",
    ),
    **dict.fromkeys(
        [
            "mlcourse.gpt.model.Block",
            "mlcourse.gpt.model.Block.forward",
            "mlcourse.gpt.model.MLP",
            "mlcourse.gpt.model.MLP.forward",
        ],
        "built by GPT (MLP by Block) from its checked config, and called on the "
        "stream GPT.forward computed from checked ids",
    ),
    "mlcourse.gpt.train.Metrics.write": (
        "called by the training loop with the numbers of a step"
    ),
}

# Public callables with no bad input to give.
NOTHING_TO_REFUSE: dict[str, str] = {
    "mlcourse.parallel.launcher.RunResult": (
        "a frozen record the launcher builds from what its processes left"
    ),
}


# ---------------------------------------------------------------- helpers
def nothing_starts(call):
    """`call` with ``subprocess.Popen`` replaced: a row that starts a process fails."""

    def guarded(*args):
        started = AssertionError("a process was started on a bad argument")
        with mock.patch("subprocess.Popen", side_effect=started):
            return call(*args)

    return guarded


def no_group(call):
    """`call` with ``rank.init_process_group`` replaced: joining a group fails."""

    def guarded(*args):
        joined = AssertionError("a process group was joined on a bad argument")
        with mock.patch.object(rank, "init_process_group", side_effect=joined):
            return call(*args)

    return guarded


def keyed(call, name):
    """``call(**{name: value})`` as a function of the value."""
    return lambda value: call(**{name: value})


def json_able(bad):
    """The bad values a command line can express (as JSON)."""
    return [(value, error) for value, error in bad if not hasattr(value, "shape")]


def not_none(bad):
    return [(value, error) for value, error in bad if value is not None]


HERE = os.path.abspath(__file__)  # a file that exists
NOWHERE = os.path.join(os.path.dirname(HERE), "no-such-folder", "x")
NOT_A_PATH = [(None, TypeError), ("", TypeError), (3, TypeError)]

# ================================================================ launcher
PYTHON_PASS = [sys.executable, "-c", "pass"]
TARGETS = [
    (None, TypeError),
    (3, TypeError),
    ("", TypeError),
    ("not a module", ValueError),
    ("no_such_script.py", FileNotFoundError),
]
ARGS = [(None, TypeError), ("--steps 3", TypeError), ([3], TypeError)]
ENVS = [("A=1", TypeError), ({"A": 1}, TypeError), ({1: "a"}, TypeError)]
RUN = {"target": "mlcourse.parallel.collectives", "timeout": 5.0}
for launch, counts in [
    (launcher.run_torchrun, {"nprocs": integers(1), "nnodes": integers(1)}),
    (launcher.run_tf_workers, {"nworkers": integers(1)}),
]:
    for name, bad in {
        "target": TARGETS,
        "args": ARGS,
        **counts,
        "timeout": numbers(0, low_open=True),
        "env": ENVS,
        "stream": NOT_A_BOOL,
    }.items():
        add(
            launch,
            name,
            nothing_starts(
                lambda v, launch=launch, name=name: launch(**{**RUN, name: v})
            ),
            bad,
        )
RUN_PROCESSES = {"commands": [PYTHON_PASS], "timeout": 5.0}
for name, bad in {
    "timeout": numbers(0, low_open=True),
    "env": ENVS,
    "stream": NOT_A_BOOL,
    "check": NOT_A_BOOL,
}.items():
    add(
        launcher.run_processes,
        name,
        nothing_starts(
            lambda v, name=name: launcher.run_processes(
                **{**RUN_PROCESSES, name: v}
            )
        ),
        bad,
    )
add_labelled(
    launcher.run_processes,
    "commands",
    nothing_starts(lambda v: launcher.run_processes(v, timeout=5.0)),
    [
        ("None", None, TypeError),
        ("a string", "python -c pass", TypeError),
        ("[]", [], ValueError),
        ("[[]]", [[]], ValueError),
        ("[command, a string]", [PYTHON_PASS, "python"], TypeError),
        ("[[python, 3]]", [[sys.executable, 3]], TypeError),
    ],
    match="command",
)
add(launcher.proportional_memory, "pid", launcher.proportional_memory, integers(1))

# ================================================================ rank
RANK_INFO = dict(rank=0, world_size=2, local_rank=0, backend="gloo", device="cpu")
for name, bad in {
    "rank": integers(0, 1),
    "world_size": integers(1),
    "local_rank": integers(0),
    "backend": NOT_A_CHOICE + [("auto", ValueError), ("mpi", ValueError)],
    "device": NOT_A_STRING,
}.items():
    add(
        rank.RankInfo,
        name,
        lambda v, name=name: rank.RankInfo(**{**RANK_INFO, name: v}),
        bad,
    )
BACKEND = dict(backend="auto", cuda_devices=0, local_world_size=1)
for name, bad in {
    "backend": NOT_A_CHOICE,
    "cuda_devices": integers(0),
    "local_world_size": integers(1),
}.items():
    add(
        rank.choose_backend,
        name,
        lambda v, name=name: rank.choose_backend(**{**BACKEND, name: v}),
        bad,
    )
add(
    rank.init_process_group,
    "backend",
    rank.init_process_group,
    NOT_A_CHOICE + [("mpi", ValueError)],
)
for keyword in ("flush", "colour"):
    one(
        rank.print0,
        f"{keyword}=True",
        partial(rank.print0, "a line", **{keyword: True}),
        TypeError,
        keyword,
    )
for value in ({1, 2}, object(), print):
    one(
        rank.to_json,
        f"value={type(value).__name__}",
        partial(rank.to_json, {"a": [value]}),
        TypeError,
        f"cannot save a {type(value).__name__}",
    )
add(
    rank.save_result,
    "data",
    rank.save_result,
    [(None, TypeError), ([1, 2], TypeError), ("loss", TypeError)],
)
add(
    rank.save_result,
    "data",
    rank.save_result,
    [({"bad": {1, 2}}, TypeError)],
    match="cannot save a set",
)
add(
    rank.save_result,
    "rank",
    lambda v: rank.save_result({"loss": 1.0}, rank=v),
    not_none(integers(0)),
)

# ================================================================ python -m mlcourse.parallel
PARSE = entry.parse_experiments
add(
    PARSE,
    "words",
    PARSE,
    [(None, TypeError), ("collectives:ring", TypeError), ([3], TypeError)],
)
add(PARSE, "experiment", PARSE, [([], ValueError)], match="no experiment")
add(
    PARSE,
    "module",
    PARSE,
    [(["nosuch:basics"], ValueError)],
    match="no module mlcourse.parallel.nosuch",
)
add(PARSE, "function", PARSE, [(["collectives:nothing"], ValueError)], "nothing")
add(PARSE, "word", PARSE, [(["numel=3"], ValueError)], match="numel=3")
SEQUENCE_OPTION = [
    (None, TypeError),
    ("4", TypeError),
    ([], ValueError),
    ([0], ValueError),
    ([4.5], TypeError),
    ([True], TypeError),
]
for experiment, options in {
    "collectives:ring": {"numel": integers(1), "seed": integers(0)},
    "collectives:timings": {"numels": SEQUENCE_OPTION, "repeats": integers(1)},
    "data_parallel:ddp_training": {
        "steps": integers(1),
        "batch": integers(1),
        "lr": numbers(0, low_open=True),
        "hidden": integers(1),
    },
    "data_parallel:accumulation": {"micro_batches": integers(1)},
    "parameter_server:train": {"steps": integers(1)},
    "tensor_parallel:linear_layers": {"d_hidden": integers(1)},
    "scaling:throughput": {"global_batch": integers(1), "hiddens": SEQUENCE_OPTION},
    "sharding:fsdp_vs_ddp": {"momentum": numbers(0, 1, high_open=True)},
}.items():
    for name, bad in options.items():
        add(
            PARSE,
            f"{experiment}:{name}",
            lambda v, experiment=experiment, name=name: PARSE(
                [experiment, f"{name}={json.dumps(v)}"]
            ),
            json_able(bad),
            match=rf"{experiment} option {name}(?!\w)",
        )
add(
    entry.check_option,
    "numel",
    lambda v: entry.check_option("collectives:ring", collectives.ring, "numel", v),
    integers(1),
)
MAIN = no_group(entry.main)
add(
    entry.main,
    "words",
    MAIN,
    [(None, TypeError), ("collectives:basics", TypeError)],
)
add(
    entry.main,
    "backend",
    MAIN,
    [
        (["--backend"], ValueError),
        (["--backend", "mpi", "collectives:basics"], ValueError),
    ],
)
add(entry.main, "experiment", MAIN, [([], ValueError)], match="no experiment")
add(
    entry.main,
    "option",
    MAIN,
    [
        (["collectives:ring", "nmel=3"], ValueError),
        (["collectives:basics", "me=1"], ValueError),
    ],
    match=r"has no option '(nmel|me)'",
)
add(entry.main, "numel", MAIN, [(["collectives:ring", "numel=-3"], ValueError)])

# ================================================================ the rank programs' helpers
NO_GRADIENTS = torch.nn.Linear(2, 2)
add(
    data_parallel.flat_parameters,
    "model",
    data_parallel.flat_parameters,
    [(None, TypeError), ("mlp", TypeError), (torch.nn.ReLU(), ValueError)],
)
add(
    data_parallel.flat_gradients,
    "model",
    data_parallel.flat_gradients,
    [(None, TypeError), ("mlp", TypeError), (NO_GRADIENTS, ValueError)],
)
WORKER_BATCHES = dict(worker=0, workers=2, steps=3, batch=4, seed=0)
for name, bad in {
    "worker": integers(0, 1),
    "workers": integers(1),
    "steps": integers(1),
    "batch": integers(1) + [(100_000, ValueError)],
    "seed": integers(0),
}.items():
    add(
        parameter_server.worker_batches,
        name,
        lambda v, name=name: parameter_server.worker_batches(
            **{**WORKER_BATCHES, name: v}
        ),
        bad,
    )


class TwoWeights:
    def get_weights(self):
        return [np.ones((2, 2)), np.ones(2)]


PLAN = {"0.weight": np.ones((4, 64)), "0.bias": np.ones(4)}
add(
    tf_workers.build_model,
    "keras",
    lambda v: tf_workers.build_model(v, PLAN),
    [(None, TypeError), ("keras", TypeError)],
)
add(
    tf_workers.build_model,
    "plan",
    lambda v: tf_workers.build_model(np, v),  # any module passes as keras here
    [(None, TypeError), ([1], TypeError), (PLAN, ValueError)],
)
add(
    tf_workers.torch_layout,
    "model",
    tf_workers.torch_layout,
    [(None, TypeError), ("mlp", TypeError), (TwoWeights(), ValueError)],
)
ARGV = [
    (None, TypeError),
    ("plan.npz", TypeError),
    ([], ValueError),
    ([3], TypeError),
    ([NOWHERE], FileNotFoundError),
    ([HERE, "--fit"], ValueError),
]
add(tf_workers.check_argv, "argv", tf_workers.check_argv, ARGV)
add(tf_workers.main, "argv", tf_workers.main, ARGV)

# ================================================================ gpt.model
TINY = gmodel.GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16)
TINY_GPT = gmodel.GPT(TINY)
IDS = torch.zeros(2, 4, dtype=torch.long)
for name, bad in {
    "vocab_size": integers(1),
    "block_size": integers(1),
    "n_layer": integers(1),
    "n_head": integers(1),
    "n_embd": integers(1),
    "dropout": numbers(0, 1, high_open=True),
    "bias": NOT_A_BOOL,
}.items():
    add(gmodel.GPTConfig, name, keyed(gmodel.GPTConfig, name), bad)
add(
    gmodel.GPTConfig,
    "n_embd",
    lambda v: gmodel.GPTConfig(n_embd=v, n_head=4),
    [(30, ValueError)],
    match="multiple of n_head",
)
BAD_IDS = [
    ("None", None, TypeError),
    ("a list", [[0, 1]], TypeError),
    ("an ndarray", np.zeros((1, 2), dtype=np.int64), TypeError),
    ("float32", torch.zeros(1, 2), ValueError),
    ("1-D", torch.zeros(2, dtype=torch.long), ValueError),
    ("empty", torch.zeros(1, 0, dtype=torch.long), ValueError),
    ("11 of vocab 11", torch.full((1, 2), 11), ValueError),
    ("-1", torch.full((1, 2), -1), ValueError),
]
add_labelled(
    gmodel.check_ids, "ids", lambda v: gmodel.check_ids("ids", v, 11), BAD_IDS
)
add(
    gmodel.CausalSelfAttention,
    "config",
    gmodel.CausalSelfAttention,
    [(None, TypeError), ({"n_embd": 16}, TypeError)],
)
ATTENTION = gmodel.CausalSelfAttention(TINY)
add(
    gmodel.CausalSelfAttention.forward,
    "x",
    ATTENTION,
    [
        (None, TypeError),
        (np.zeros((1, 2, 16)), TypeError),
        (torch.zeros(2, 16), ValueError),
        (torch.zeros(1, 2, 8), ValueError),
        (torch.zeros(1, 2, 16, dtype=torch.long), ValueError),
    ],
)
add(
    gmodel.GPT,
    "config",
    gmodel.GPT,
    [(None, TypeError), ({"n_layer": 1}, TypeError)],
)
add_labelled(gmodel.GPT.forward, "idx", TINY_GPT, BAD_IDS)
add(
    gmodel.GPT.forward,
    "idx",
    TINY_GPT,
    [(torch.zeros(1, 9, dtype=torch.long), ValueError)],
    match="block_size=8",
)
add_labelled(gmodel.GPT.loss, "idx", lambda v: TINY_GPT.loss(v, IDS), BAD_IDS[:4])
add_labelled(
    gmodel.GPT.loss,
    "targets",
    lambda v: TINY_GPT.loss(IDS, v),
    BAD_IDS + [("another shape", torch.zeros(2, 3, dtype=torch.long), ValueError)],
)
add_labelled(gmodel.GPT.generate, "idx", lambda v: TINY_GPT.generate(v, 2), BAD_IDS)
for name, bad in {
    "max_new_tokens": integers(0),
    "temperature": numbers(0, low_open=True),
    "top_k": not_none(integers(1, 11)),
    "generator": [
        (0, TypeError),
        ("seed", TypeError),
        (random.Random(0), TypeError),
    ],
}.items():
    add(
        gmodel.GPT.generate,
        name,
        lambda v, name=name: TINY_GPT.generate(
            IDS, **{"max_new_tokens": 2, name: v}
        ),
        bad,
    )
add(
    gmodel.GPT.num_parameters,
    "include_positions",
    TINY_GPT.num_parameters,
    NOT_A_BOOL,
)

# ================================================================ gpt.data
add(
    gdata.CharVocabulary,
    "chars",
    gdata.CharVocabulary,
    [
        (None, TypeError),
        (3, TypeError),
        ("", ValueError),
        ("ba", ValueError),
        ("aa", ValueError),
    ],
)
add(
    gdata.CharVocabulary.from_text,
    "text",
    gdata.CharVocabulary.from_text,
    [(None, TypeError), (["a"], TypeError), ("", ValueError)],
)
ABC = gdata.CharVocabulary("abc")
add(
    gdata.CharVocabulary.encode,
    "text",
    ABC.encode,
    [(None, TypeError), (3, TypeError), (["a"], TypeError), ("abz", ValueError)],
)
add(
    gdata.CharVocabulary.decode,
    "ids",
    ABC.decode,
    [
        (None, TypeError),
        ([0.5], TypeError),
        (["a"], TypeError),
        ([[0]], ValueError),
        ([3], ValueError),
        ([-1], ValueError),
        (torch.tensor([0.0]), TypeError),
    ],
)
TEXT_IDS = np.arange(40) % 7
BAD_TEXT_IDS = [
    (None, TypeError),
    (np.ones(40), TypeError),
    (["a", "b"], TypeError),
    (np.zeros((2, 20), dtype=np.int64), ValueError),
]
add(gdata.split, "ids", gdata.split, BAD_TEXT_IDS + [(np.arange(3), ValueError)])
add(gdata.split, "val_fraction", lambda v: gdata.split(TEXT_IDS, v), probability())
add(
    gdata.windows_at,
    "ids",
    lambda v: gdata.windows_at(v, np.zeros(1, dtype=np.int64), 4),
    BAD_TEXT_IDS + [(np.arange(4), ValueError)],
)
add(
    gdata.windows_at,
    "offsets",
    lambda v: gdata.windows_at(TEXT_IDS, v, 4),
    [
        (None, TypeError),
        ([0.5], TypeError),
        ([[0]], ValueError),
        ([-1], ValueError),
        ([36], ValueError),
    ],
)
add(
    gdata.windows_at,
    "block_size",
    lambda v: gdata.windows_at(TEXT_IDS, [0], v),
    integers(1) + [(40, ValueError)],
)
add(
    gdata.consecutive_windows,
    "ids",
    lambda v: gdata.consecutive_windows(v, 4),
    BAD_TEXT_IDS,
)
add(
    gdata.consecutive_windows,
    "block_size",
    lambda v: gdata.consecutive_windows(TEXT_IDS, v),
    integers(1) + [(40, ValueError)],
)
SAMPLER = dict(ids=TEXT_IDS, block_size=4, batch_size=2, seed=0)
for name, bad in {
    "ids": BAD_TEXT_IDS,
    "block_size": integers(1) + [(40, ValueError)],
    "batch_size": integers(1),
    "seed": integers(0),
}.items():
    add(
        gdata.BatchSampler,
        name,
        lambda v, name=name: gdata.BatchSampler(**{**SAMPLER, name: v}),
        bad,
    )
    add(
        gdata.fixed_batches,
        name,
        lambda v, name=name: gdata.fixed_batches(
            **{**SAMPLER, name: v}, n_batches=2
        ),
        bad,
    )
add(
    gdata.fixed_batches,
    "n_batches",
    lambda v: gdata.fixed_batches(**SAMPLER, n_batches=v),
    integers(1),
)
BATCHES = gdata.BatchSampler(**SAMPLER)
add(
    gdata.BatchSampler.next_batch,
    "rank",
    lambda v: BATCHES.next_batch(rank=v, world_size=2),
    integers(0, 1),
)
add(
    gdata.BatchSampler.next_batch,
    "world_size",
    lambda v: BATCHES.next_batch(rank=0, world_size=v),
    integers(1),
)
STATE = BATCHES.state_dict()
add_labelled(
    gdata.BatchSampler.load_state_dict,
    "state",
    BATCHES.load_state_dict,
    [
        ("None", None, TypeError),
        ("a list", [STATE], TypeError),
        ("{}", {}, ValueError),
        ("another seed", {**STATE, "seed": 1}, ValueError),
        ("generator None", {**STATE, "generator": None}, ValueError),
        (
            "MT19937",
            {**STATE, "generator": {"bit_generator": "MT19937"}},
            ValueError,
        ),
    ],
)
add(
    gdata.BatchSampler.load_state_dict,
    "batches_drawn",
    lambda v: BATCHES.load_state_dict({**STATE, "batches_drawn": v}),
    integers(0),
)

# ================================================================ gpt.checkpoint
add(
    ckpt.checkpoint_path, "folder", lambda v: ckpt.checkpoint_path(v, 1), NOT_A_PATH
)
add(
    ckpt.checkpoint_path,
    "step",
    lambda v: ckpt.checkpoint_path(NOWHERE, v),
    integers(0),
)
add(ckpt.list_checkpoints, "folder", ckpt.list_checkpoints, NOT_A_PATH)
add(ckpt.latest_checkpoint, "folder", ckpt.latest_checkpoint, NOT_A_PATH)
RNG = ckpt.rng_state()
add_labelled(
    ckpt.set_rng_state,
    "state",
    ckpt.set_rng_state,
    [
        ("None", None, TypeError),
        ("a list", [RNG], TypeError),
        ("{}", {}, ValueError),
        ("python None", {**RNG, "python": None}, TypeError),
        ("python of 2", {**RNG, "python": (3, ())}, ValueError),
        ("numpy a string", {**RNG, "numpy": "MT19937"}, TypeError),
        ("torch a list", {**RNG, "torch": [1, 2]}, TypeError),
        ("cuda None", {**RNG, "cuda": None}, TypeError),
    ],
)
add(
    ckpt.save_checkpoint,
    "state",
    lambda v: ckpt.save_checkpoint(v, NOWHERE),
    [(None, TypeError), ([1], TypeError)],
)
add(ckpt.save_checkpoint, "path", lambda v: ckpt.save_checkpoint({}, v), NOT_A_PATH)
add(ckpt.load_checkpoint, "path", ckpt.load_checkpoint, NOT_A_PATH)
add(
    ckpt.check_same_config,
    "saved",
    lambda v: ckpt.check_same_config(v, {}),
    [(None, TypeError), ([1], TypeError)],
)
add(
    ckpt.check_same_config,
    "current",
    lambda v: ckpt.check_same_config({}, v),
    [(None, TypeError), ("lr=1", TypeError)],
)
add(
    ckpt.check_same_config,
    "may_differ",
    lambda v: ckpt.check_same_config({}, {}, v),
    [(None, TypeError), ("threads", TypeError), ([3], TypeError)],
)

# ================================================================ gpt.train
TINY_RUN = gtrain.TrainConfig(
    n_layer=1,
    n_head=2,
    n_embd=16,
    block_size=8,
    batch_size=2,
    max_steps=6,
    warmup_steps=2,
    eval_every=3,
    eval_batches=1,
    checkpoint_every=3,
    log_every=3,
)
FIELDS = dict(TINY_RUN.__dict__)
for name, bad in {
    **dict.fromkeys(
        [
            "n_layer",
            "n_head",
            "n_embd",
            "block_size",
            "batch_size",
            "max_steps",
            "eval_every",
            "eval_batches",
            "checkpoint_every",
            "log_every",
        ],
        integers(1),
    ),
    **dict.fromkeys(["diagnostics_every", "seed", "threads"], integers(0)),
    "warmup_steps": integers(1, 5),
    "lr": numbers(0, low_open=True),
    "min_lr": numbers(0, 3e-3),
    "dropout": numbers(0, 1, high_open=True),
    "weight_decay": numbers(0),
    "beta1": numbers(0, 1, high_open=True),
    "beta2": numbers(0, 1, high_open=True),
    "grad_clip": numbers(0, low_open=True),
    "dtype": NOT_A_CHOICE + [("float8", ValueError)],
    "device": NOT_A_CHOICE + [("gpu", ValueError)],
}.items():
    add(
        gtrain.TrainConfig,
        name,
        lambda v, name=name: gtrain.TrainConfig(**{**FIELDS, name: v}),
        bad,
    )
add(
    gtrain.TrainConfig,
    "n_embd",
    lambda v: gtrain.TrainConfig(**{**FIELDS, "n_embd": v}),
    [(15, ValueError)],
    match="multiple of n_head",
)
add(
    gtrain.TrainConfig.model_fields,
    "vocab_size",
    TINY_RUN.model_fields,
    integers(1),
)
add(
    gtrain.learning_rate_schedule,
    "config",
    gtrain.learning_rate_schedule,
    [(None, TypeError), (TINY, TypeError)],
)
add(
    gtrain.make_optimizer,
    "model",
    lambda v: gtrain.make_optimizer(v, TINY_RUN),
    [(None, TypeError), ("gpt", TypeError)],
)
add(
    gtrain.make_optimizer,
    "config",
    lambda v: gtrain.make_optimizer(TINY_GPT, v),
    [(None, TypeError), (TINY, TypeError)],
)
add(gtrain.seed_all, "seed", gtrain.seed_all, integers(0, 2**32 - 1))
METRICS = dict(path=NOWHERE, active=True, keep_until=None)
for name, bad in {
    "path": NOT_A_PATH,
    "active": NOT_A_BOOL,
    "keep_until": not_none(integers(0)),
}.items():
    add(
        gtrain.Metrics,
        name,
        lambda v, name=name: gtrain.Metrics(**{**METRICS, name: v}),
        bad,
    )
add(gtrain.read_jsonl, "path", gtrain.read_jsonl, NOT_A_PATH)
EVAL_BATCHES = gdata.fixed_batches(TEXT_IDS, 8, 2, n_batches=1)


def no_autocast():
    return torch.autocast("cpu", enabled=False)


EVALUATE = dict(
    model=TINY_GPT, batches=EVAL_BATCHES, device="cpu", autocast=no_autocast
)
for name, bad in {
    "model": [(None, TypeError), (torch.nn.Linear(2, 2), TypeError)],
    "batches": [
        (None, TypeError),
        ([], ValueError),
        ([[IDS, IDS]], TypeError),
        (EVAL_BATCHES[0], TypeError),
    ],
    "device": [("gpu", ValueError), (3, TypeError), (None, TypeError)],
    "autocast": NOT_CALLABLE,
}.items():
    add(
        gtrain.evaluate,
        name,
        lambda v, name=name: gtrain.evaluate(**{**EVALUATE, name: v}),
        bad,
    )
TRAIN_IDS = np.arange(200) % 11
PARTS = gtrain.RunParts.build(TINY_RUN, TRAIN_IDS, 11, "cpu")
PART_FIELDS = dict(PARTS.__dict__)
for name in PART_FIELDS:
    add(
        gtrain.RunParts,
        name,
        lambda v, name=name: gtrain.RunParts(**{**PART_FIELDS, name: v}),
        [(None, TypeError), ("x", TypeError)],
    )
add(gtrain.RunParts.state, "step", PARTS.state, integers(0))
add(
    gtrain.RunParts.restore,
    "state",
    PARTS.restore,
    [
        (None, TypeError),
        ([1], TypeError),
        ({}, ValueError),
        ({"step": 1}, ValueError),
    ],
)
IGNORE_STATE = [
    (None, TypeError),
    ("rng", TypeError),
    (["weights"], ValueError),
    ([3], ValueError),
]
add(
    gtrain.RunParts.restore,
    "ignore_state",
    lambda v: PARTS.restore(PARTS.state(0), v),
    IGNORE_STATE,
)
TRAIN = dict(config=TINY_RUN, out=NOWHERE, resume=False, ignore_state=())
for name, bad in {
    "config": [(None, TypeError), (TINY, TypeError), (FIELDS, TypeError)],
    "out": NOT_A_PATH,
    "resume": NOT_A_BOOL,
    "ignore_state": IGNORE_STATE,
}.items():
    add(
        gtrain.train,
        name,
        lambda v, name=name: gtrain.train(**{**TRAIN, name: v}),
        bad,
    )
LAST = dict(step=3, loss=1.0, lr=1e-3, seconds=0.5)
add(
    gtrain.progress_line,
    "values",
    lambda v: gtrain.progress_line(v, 6),
    [(None, TypeError), ([1], TypeError), ({"step": 3}, ValueError)],
)
add(
    gtrain.progress_line,
    "max_steps",
    lambda v: gtrain.progress_line(LAST, v),
    integers(1),
)


def usage_error(call, argv):
    """`call(argv)`, which must stop as argparse does on a bad option (code 2)."""
    try:
        call(argv)
    except SystemExit as stop:
        if stop.code != 2:
            raise AssertionError(f"exit code {stop.code!r}, not 2") from stop
        raise


for call in (gtrain.parse_args, gtrain.main):
    add(call, "argv", call, [("--out x", TypeError), (["--out", 3], TypeError)])
    for argv, option in [
        ([], "--out"),
        (["--out", "x", "--lr", "abc"], "--lr"),
        (["--out", "x", "--max-steps", "2.5"], "--max-steps"),
        (["--out", "x", "--dtype", "float8"], "--dtype"),
        (["--out", "x", "--ignore-state", "weights"], "--ignore-state"),
        (["--out", "x", "--bogus", "1"], "--bogus"),
    ]:
        one(
            call,
            f"usage-{option}",
            partial(usage_error, call, argv),
            SystemExit,
            option,
        )

# ================================================================ gpt.runs
PROCESS = dict(out=NOWHERE, config=TINY_RUN)
for name, bad in {
    "out": NOT_A_PATH,
    "config": [(None, TypeError), (FIELDS, TypeError), (TINY, TypeError)],
    "resume": NOT_A_BOOL,
    "ignore_state": IGNORE_STATE,
}.items():
    add(
        runs.TrainingProcess,
        name,
        nothing_starts(
            lambda v, name=name: runs.TrainingProcess(**{**PROCESS, name: v})
        ),
        bad,
    )
NOT_STARTED = runs.TrainingProcess(NOWHERE, TINY_RUN)
add(
    runs.TrainingProcess.wait,
    "timeout",
    nothing_starts(NOT_STARTED.wait),
    numbers(0, low_open=True),
)
add(
    runs.TrainingProcess.wait,
    "echo",
    nothing_starts(lambda v: NOT_STARTED.wait(1.0, echo=v)),
    NOT_A_BOOL,
)
add(
    runs.TrainingProcess.kill_at_step,
    "step",
    nothing_starts(lambda v: NOT_STARTED.kill_at_step(v, 1.0)),
    integers(1),
)
add(
    runs.TrainingProcess.kill_at_step,
    "timeout",
    nothing_starts(lambda v: NOT_STARTED.kill_at_step(3, v)),
    numbers(0, low_open=True),
)
add(runs.read_metrics, "out", runs.read_metrics, NOT_A_PATH)
add(
    runs.read_metrics,
    "out",
    runs.read_metrics,
    [(NOWHERE, FileNotFoundError)],
    match="is it a run folder",
)
add(runs.load_model, "path", runs.load_model, NOT_A_PATH)
add(
    runs.load_model,
    "device",
    lambda v: runs.load_model(NOWHERE, v),
    [("gpu", ValueError), (3, TypeError), (None, TypeError)],
)
