"""Train the capstone's GPT on Shakespeare: ``python -m mlcourse.gpt.train --help``.

The capstone chapter runs this script as a subprocess (so that it can be
killed, resumed, and started on several processes by ``torchrun``); it runs
the same from a terminal::

    python -m mlcourse.gpt.train --out runs/gpt --max-steps 1800 --lr 3e-3
    python -m mlcourse.gpt.train --out runs/gpt --max-steps 1800 --lr 3e-3 --resume

The configuration is :class:`TrainConfig`, one option per field. Everything
the run produces goes to its folder ``--out``:

- ``config.json``: the configuration;
- ``metrics.jsonl``: one JSON line per step (``step``, ``loss``, ``lr``,
  ``grad_norm``, ``seconds``) and one per evaluation (``step``, ``val_loss``);
- ``ckpt_000300.pt``...: checkpoints (:mod:`mlcourse.gpt.checkpoint`);
- ``diagnostics.csv``: with ``--diagnostics-every``, per-block statistics
  (update-to-weight ratios...) from :mod:`mlcourse.diagnostics`.

Under ``torchrun`` each process trains on its share of every batch and
DistributedDataParallel averages the gradients; rank 0 writes the files.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import NoReturn

import numpy as np
import torch
import torch.nn.functional as F

from mlcourse.gpt import checkpoint as ckpt
from mlcourse.gpt.data import BatchSampler, CharVocabulary, fixed_batches, load_text
from mlcourse.gpt.data import split as split_text
from mlcourse.gpt.model import GPT, GPTConfig
from mlcourse.parallel import rank as ranks
from mlcourse.reference.schedules import CosineDecay, LinearWarmup
from mlcourse.validation import (
    check_bool,
    check_callable,
    check_choice,
    check_int,
    check_number,
    check_path,
    check_sequence,
    check_torch_device,
    check_type,
)

DTYPES = {
    "float32": torch.float32,
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
}
DEVICES = ("auto", "cpu", "cuda")
# Pieces of a checkpoint that --ignore-state can leave out on resuming, to see
# what each is for (the resumed run then differs from an uninterrupted one).
IGNORABLE = ("rng", "data", "optimizer", "schedule")
# Settings that may change between a run and its resumption.
MAY_DIFFER_ON_RESUME = ("log_every", "threads", "diagnostics_every")
CHOICES = {"dtype": tuple(DTYPES), "device": DEVICES}
HELP = {
    "n_layer": "transformer blocks",
    "n_head": "attention heads per block",
    "n_embd": "width of the residual stream (a multiple of n_head)",
    "block_size": "context length, in characters",
    "dropout": "dropout probability while training",
    "batch_size": "windows per step and per process",
    "max_steps": "optimizer steps in the whole run",
    "lr": "peak learning rate, reached after the warm-up",
    "min_lr": "learning rate at the end of the cosine decay",
    "warmup_steps": "steps of the linear warm-up",
    "weight_decay": "AdamW's decoupled weight decay (matrices only)",
    "beta1": "AdamW's beta1",
    "beta2": "AdamW's beta2",
    "grad_clip": "clip the gradient's global norm to this",
    "eval_every": "steps between validation losses",
    "eval_batches": "fixed validation batches (64 windows each) per evaluation",
    "checkpoint_every": "steps between checkpoints (and one at the end)",
    "log_every": "steps between progress lines",
    "diagnostics_every": "steps between update-to-weight records (0: none)",
    "seed": "seed of the initial weights, the batches and dropout",
    "dtype": "float32, or autocast to bfloat16 / float16",
    "device": "auto (CUDA if present), cpu or cuda",
    "threads": "torch's CPU threads (0: torch's default)",
}


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a training run, as plain values (defaults: the CPU run)."""

    # The model (GPTConfig; the vocabulary size comes from the text).
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    block_size: int = 64
    dropout: float = 0.0
    # The optimisation: AdamW with a linear warm-up and a cosine decay.
    batch_size: int = 12
    max_steps: int = 1800
    lr: float = 3e-3
    min_lr: float = 3e-4
    warmup_steps: int = 100
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.99
    grad_clip: float = 1.0
    # Evaluation, checkpoints, progress.
    eval_every: int = 300
    eval_batches: int = 8
    checkpoint_every: int = 300
    log_every: int = 300
    diagnostics_every: int = 0
    # Where and how it runs.
    seed: int = 0
    dtype: str = "float32"
    device: str = "auto"
    threads: int = 0

    def __post_init__(self) -> None:
        for name in ("n_layer", "n_head", "n_embd", "block_size", "batch_size"):
            check_int(name, getattr(self, name), low=1)
        for name in ("max_steps", "eval_every", "eval_batches", "checkpoint_every"):
            check_int(name, getattr(self, name), low=1)
        check_int("log_every", self.log_every, low=1)
        check_int("diagnostics_every", self.diagnostics_every, low=0)
        check_int("warmup_steps", self.warmup_steps, low=1, high=self.max_steps - 1)
        check_int("seed", self.seed, low=0)
        check_int("threads", self.threads, low=0)
        check_number("lr", self.lr, low=0, low_open=True)
        check_number("min_lr", self.min_lr, low=0, high=self.lr)
        check_number("dropout", self.dropout, low=0, high=1, high_open=True)
        check_number("weight_decay", self.weight_decay, low=0)
        check_number("beta1", self.beta1, low=0, high=1, high_open=True)
        check_number("beta2", self.beta2, low=0, high=1, high_open=True)
        check_number("grad_clip", self.grad_clip, low=0, low_open=True)
        check_choice("dtype", self.dtype, tuple(DTYPES))
        check_choice("device", self.device, DEVICES)
        GPTConfig(**self.model_fields(vocab_size=1))  # n_embd % n_head, dropout...

    def model_fields(self, vocab_size: int) -> dict:
        """The keyword arguments of this run's :class:`GPTConfig`."""
        vocab_size = check_int("vocab_size", vocab_size, low=1)
        return dict(
            vocab_size=vocab_size,
            block_size=self.block_size,
            n_layer=self.n_layer,
            n_head=self.n_head,
            n_embd=self.n_embd,
            dropout=self.dropout,
        )

    def to_args(self) -> list[str]:
        """The command-line options for this configuration (not the defaults)."""
        args = []
        for field in fields(self):
            value = getattr(self, field.name)
            if value != field.default:
                args += [f"--{field.name.replace('_', '-')}", str(value)]
        return args


def learning_rate_schedule(config: TrainConfig) -> LinearWarmup:
    """A linear warm-up to ``lr`` in ``warmup_steps``, a cosine to ``min_lr``."""
    check_type("config", config, TrainConfig)
    cosine = CosineDecay(
        lr=config.lr,
        total_steps=config.max_steps - config.warmup_steps,
        min_lr=config.min_lr,
    )
    return LinearWarmup(cosine, config.warmup_steps, 1 / config.warmup_steps)


def make_optimizer(
    model: torch.nn.Module, config: TrainConfig
) -> torch.optim.AdamW:
    """AdamW with weight decay on the matrices only (not on gains and biases).

    PyTorch's fused implementation where it has one (CPU and CUDA): it updates
    every parameter in one pass, instead of a loop of small operations per
    tensor, and takes a quarter less time per step on a 2-core CPU here.
    """
    check_type("model", model, torch.nn.Module)
    check_type("config", config, TrainConfig)
    matrices = [p for p in model.parameters() if p.dim() >= 2]
    vectors = [p for p in model.parameters() if p.dim() < 2]
    groups = [
        {"params": matrices, "weight_decay": config.weight_decay},
        {"params": vectors, "weight_decay": 0.0},
    ]
    fused = all(p.device.type in ("cpu", "cuda") for p in model.parameters())
    return torch.optim.AdamW(
        groups, lr=config.lr, betas=(config.beta1, config.beta2), fused=fused
    )


def seed_all(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators."""
    seed = check_int("seed", seed, low=0, high=2**32 - 1)  # NumPy's range
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class Metrics:
    """Appends JSON lines to ``metrics.jsonl`` (on rank 0; elsewhere, nothing)."""

    def __init__(self, path: Path, active: bool, keep_until: int | None):
        path, active = check_path("path", path), check_bool("active", active)
        if keep_until is not None:
            keep_until = check_int("keep_until", keep_until, low=0)
        self.path, self.active = path, active
        if active and keep_until is not None:
            kept = [line for line in read_jsonl(path) if line["step"] <= keep_until]
            temporary = path.with_name(path.name + ".tmp")
            temporary.write_text("".join(json.dumps(line) + "\n" for line in kept))
            os.replace(temporary, path)
        elif active:
            path.write_text("")
        self.file = open(path, "a", buffering=1) if active else None

    def write(self, **values) -> None:
        if self.file is not None:
            self.file.write(json.dumps(values) + "\n")

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """The JSON lines of a metrics file (none if it is missing).

    A line cut short by a kill is skipped.
    """
    path, lines = check_path("path", path), []
    if not path.exists():
        return lines
    for text in path.read_text().splitlines():
        try:
            lines.append(json.loads(text))
        except json.JSONDecodeError:
            continue
    return lines


@torch.no_grad()
def evaluate(model: GPT, batches, device: str, autocast) -> float:
    """Mean cross-entropy, nats per character, over a list of (inputs, targets)."""
    check_type("model", model, GPT)
    batches = check_sequence("batches", batches, of=tuple, what="(inputs, targets)")
    if not batches:
        raise ValueError("batches is empty: there is nothing to evaluate")
    device = check_torch_device("device", device)
    check_callable("autocast", autocast, "a function returning a context manager")
    was_training = model.training
    model.eval()
    total = 0.0
    for x, y in batches:
        x, y = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
        with autocast():
            total += model.loss(x, y).item()
    model.train(was_training)
    return total / len(batches)


def _distributed(device: str) -> tuple[int, int]:
    """(rank, world size): join torchrun's group (NCCL on GPUs), or (0, 1)."""
    if int(os.environ.get("WORLD_SIZE", "1")) == 1:
        return 0, 1
    me = ranks.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return me.rank, me.world_size


def _device(config: TrainConfig) -> str:
    """``"cpu"`` or ``"cuda:<LOCAL_RANK>"``; "auto" takes CUDA only if every
    rank on this machine gets a GPU of its own."""
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if config.device == "auto":  # one GPU per rank of this machine, or the CPU
        local_ranks = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
        wanted = "cuda" if 0 < local_ranks <= gpus else "cpu"
    else:
        wanted = config.device
    if wanted == "cpu":
        return "cpu"
    if local_rank >= gpus:
        raise RuntimeError(
            f"--device cuda was asked for on local rank {local_rank}, "
            f"but this machine has {gpus} CUDA GPU(s)"
        )
    return f"cuda:{local_rank}"


@dataclass
class RunParts:
    """The objects whose state a run carries from step to step, and checkpoints."""

    config: TrainConfig
    model: GPT
    optimizer: torch.optim.Optimizer
    schedule: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler
    sampler: BatchSampler

    def __post_init__(self) -> None:
        for name, kind in (
            ("config", TrainConfig),
            ("model", GPT),
            ("optimizer", torch.optim.Optimizer),
            ("schedule", torch.optim.lr_scheduler.LRScheduler),
            ("scaler", torch.amp.GradScaler),
            ("sampler", BatchSampler),
        ):
            check_type(name, getattr(self, name), kind)

    @classmethod
    def build(cls, config: TrainConfig, train_ids, vocab_size: int, device: str):
        """New parts: weights drawn from torch's generator, the schedule at 0."""
        model = GPT(GPTConfig(**config.model_fields(vocab_size))).to(device)
        optimizer = make_optimizer(model, config)
        rates = learning_rate_schedule(config)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: float(rates(step)) / config.lr
        )
        scaler = torch.amp.GradScaler(
            device.split(":")[0], enabled=config.dtype == "float16"
        )
        sampler = BatchSampler(
            train_ids, config.block_size, config.batch_size, config.seed
        )
        return cls(config, model, optimizer, schedule, scaler, sampler)

    def state(self, step: int) -> dict:
        """The checkpoint after `step` steps (:mod:`mlcourse.gpt.checkpoint`)."""
        step = check_int("step", step, low=0)
        return {
            "format": ckpt.FORMAT,
            "step": step,
            "config": asdict(self.config),
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict(),
            "scaler": self.scaler.state_dict(),
            "rng": ckpt.rng_state(),
            "data": self.sampler.state_dict(),
        }

    def restore(self, state: dict, ignore_state: tuple[str, ...] = ()) -> int:
        """Load a checkpoint, except the parts named in `ignore_state`; its step."""
        _check_ignore_state(ignore_state)
        check_type("state", state, dict)
        missing = [
            key for key in ("step", "config", *ckpt.PARTS) if key not in state
        ]
        if missing:
            raise ValueError(f"state is not a checkpoint: it lacks {missing}")
        ckpt.check_same_config(
            state["config"], asdict(self.config), MAY_DIFFER_ON_RESUME
        )
        self.model.load_state_dict(state["model"])
        if "optimizer" not in ignore_state:
            self.optimizer.load_state_dict(state["optimizer"])
        if "schedule" not in ignore_state:
            self.schedule.load_state_dict(state["schedule"])
        else:  # the schedule starts again at step 0, on the restored optimizer
            for group in self.optimizer.param_groups:
                group["lr"] = self.config.lr * self.schedule.lr_lambdas[0](0)
        self.scaler.load_state_dict(state["scaler"])
        if "rng" not in ignore_state:
            ckpt.set_rng_state(state["rng"])
        if "data" not in ignore_state:
            self.sampler.load_state_dict(state["data"])
        return state["step"]


def train(
    config: TrainConfig,
    out: str | os.PathLike,
    *,
    resume: bool = False,
    ignore_state: tuple[str, ...] = (),
) -> dict:
    """Run (or resume) a training run in the folder `out`; return the last metrics.

    With `resume`, continues from the newest checkpoint in `out`, which must
    come from the same configuration. `ignore_state` names pieces of the
    checkpoint not to restore (:data:`IGNORABLE`), to show what each is for.
    """
    check_type("config", config, TrainConfig)
    out = check_path("out", out)
    check_bool("resume", resume)
    _check_ignore_state(ignore_state)
    existing = ckpt.latest_checkpoint(out) if out.exists() else None
    if resume and existing is None:
        raise ckpt.CheckpointError(f"--resume: there is no checkpoint in {out}")
    if not resume and existing is not None:
        raise ckpt.CheckpointError(
            f"{out} already holds checkpoints ({existing.name}); pass --resume to "
            "continue that run, or choose a new folder"
        )
    if config.threads:
        torch.set_num_threads(config.threads)
    device = _device(config)
    seed_all(config.seed)
    text = load_text()
    vocab = CharVocabulary.from_text(text)
    train_ids, val_ids = split_text(vocab.encode(text))
    parts = RunParts.build(config, train_ids, len(vocab), device)
    step = (
        parts.restore(ckpt.load_checkpoint(existing), ignore_state) if resume else 0
    )

    rank, world_size = _distributed(device)
    try:
        return _loop(parts, step, resume, out, val_ids, device, rank, world_size)
    finally:
        if world_size > 1:
            ranks.destroy_process_group()


def _check_ignore_state(ignore_state: tuple[str, ...]) -> None:
    names = check_sequence("ignore_state", ignore_state, what="names")
    for name in names:
        check_choice("ignore_state", name, IGNORABLE)


def _loop(
    parts: RunParts, step, resume, out: Path, val_ids, device, rank, world_size
):
    """The training loop of :func:`train`, from `step` to ``max_steps``."""
    config, model, optimizer = parts.config, parts.model, parts.optimizer
    main = rank == 0  # the process that evaluates and writes files

    def autocast():
        return torch.autocast(
            device.split(":")[0],
            DTYPES[config.dtype],
            enabled=config.dtype != "float32",
        )

    eval_set = fixed_batches(
        val_ids, config.block_size, 64, config.eval_batches, seed=config.seed + 1
    )
    if main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(
            json.dumps(asdict(config), indent=2) + "\n"
        )
    # On resuming, the metrics written after the checkpoint are dropped.
    metrics = Metrics(out / "metrics.jsonl", main, step if resume else None)
    trained = model
    if world_size > 1:
        trained = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device] if device.startswith("cuda") else None
        )
    recorder = None
    if main and config.diagnostics_every:
        from mlcourse import diagnostics

        watched = ["transformer.wte", "transformer.wpe"] + [
            f"transformer.h.{i}" for i in range(config.n_layer)
        ]
        recorder = diagnostics.record(
            model, optimizer, layers=watched, every=config.diagnostics_every
        )
    model.train()
    start, last, first_step = time.perf_counter(), {}, step
    try:
        while step < config.max_steps:
            x, y = parts.sampler.next_batch(rank, world_size)
            x, y = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
            lr = optimizer.param_groups[0]["lr"]
            with autocast():
                logits = trained(x)
                loss = F.cross_entropy(logits.flatten(0, 1).float(), y.flatten())
            optimizer.zero_grad(set_to_none=True)
            parts.scaler.scale(loss).backward()
            parts.scaler.unscale_(optimizer)
            grad_norm = torch.nn.utils.clip_grad_norm_(
                model.parameters(), config.grad_clip
            )
            parts.scaler.step(optimizer)
            parts.scaler.update()
            parts.schedule.step()
            step += 1

            loss = loss.detach()
            if world_size > 1:  # the loss of the whole batch: the mean over ranks
                torch.distributed.all_reduce(loss, torch.distributed.ReduceOp.AVG)
            last = dict(
                step=step,
                loss=loss.item(),
                lr=lr,
                grad_norm=grad_norm.item(),
                seconds=time.perf_counter() - start,
            )
            metrics.write(**last)
            is_last = step == config.max_steps
            if main and (step % config.eval_every == 0 or is_last):
                last["val_loss"] = evaluate(model, eval_set, device, autocast)
                metrics.write(step=step, val_loss=last["val_loss"])
            if main and (step % config.checkpoint_every == 0 or is_last):
                ckpt.save_checkpoint(
                    parts.state(step), ckpt.checkpoint_path(out, step)
                )
            if main and (step % config.log_every == 0 or is_last):
                print(progress_line(last, config.max_steps), flush=True)
    finally:
        metrics.close()
        if recorder is not None:
            recorder.close()
            table = recorder.table()
            table["step"] += first_step
            table.to_csv(out / "diagnostics.csv", index=False)
    return last


def progress_line(values: dict, max_steps: int) -> str:
    """One line of progress: step, training loss, validation loss, rate and time."""
    check_type("values", values, dict)
    missing = [
        key for key in ("step", "loss", "lr", "seconds") if key not in values
    ]
    if missing:
        raise ValueError(f"values lacks {missing}")
    max_steps = check_int("max_steps", max_steps, low=1)
    val = values.get("val_loss")
    return (
        f"step {values['step']:>{len(str(max_steps))}}/{max_steps}"
        f" | loss {values['loss']:.4f}"
        f" | val {'  --  ' if val is None else f'{val:.4f}'}"
        f" | lr {values['lr']:.2e}"
        f" | {values['seconds']:6.1f} s"
    )


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """A usage error, as argparse reports it (the usage and the message on
        stderr, exit status 2), raised with the message: a caller sees it."""
        self.print_usage(sys.stderr)
        text = f"{self.prog}: error: {message}"
        print(text, file=sys.stderr)
        usage_error = SystemExit(text)
        usage_error.code = 2
        raise usage_error


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The script's options; a bad one is a usage error (``SystemExit``, code 2)."""
    if argv is not None:
        argv = list(check_sequence("argv", argv, of=str, what="strings"))
    parser = _Parser(
        prog="python -m mlcourse.gpt.train",
        description="Train a small character-level GPT on Shakespeare "
        "(the capstone chapter of mlcourse).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--out", required=True, help="the run folder")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue from the newest checkpoint in --out (same settings)",
    )
    parser.add_argument(
        "--ignore-state",
        action="append",
        default=[],
        choices=IGNORABLE,
        help="on --resume, do not restore this part (to see what it is for)",
    )
    for field in fields(TrainConfig):
        kind = {"int": int, "float": float, "str": str}[str(field.type)]
        parser.add_argument(
            f"--{field.name.replace('_', '-')}",
            type=kind,
            default=field.default,
            dest=field.name,
            choices=CHOICES.get(field.name),
            help=HELP[field.name],
        )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    values = {f.name: getattr(args, f.name) for f in fields(TrainConfig)}
    try:
        config = TrainConfig(**values)
        train(
            config,
            args.out,
            resume=args.resume,
            ignore_state=tuple(args.ignore_state),
        )
    except (ValueError, TypeError, ckpt.CheckpointError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
