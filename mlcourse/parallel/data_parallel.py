"""Data-parallel training of the digits MLP with ``DistributedDataParallel`` (DDP).

Experiments for ``python -m mlcourse.parallel`` (the distributed-training
chapter runs them on 2 ranks):

- :func:`ddp_training`: DDP with a ``DistributedSampler``, returning every
  step's example indices and the final weights, so that the notebook can
  replay the same steps in one process with the combined batches;
- :func:`hand_all_reduce`: DDP's averaged gradients against a hand-written
  all-reduce;
- :func:`accumulation`: gradient accumulation with ``no_sync``, right and
  wrong, with the all-reduce calls counted;
- :func:`buckets`: how many all-reduce calls (buckets) one backward makes.
"""

from __future__ import annotations

import contextlib
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.distributed.algorithms.ddp_comm_hooks.default_hooks import allreduce_hook
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from mlcourse.models import digits_mlp
from mlcourse.parallel.data import train_arrays
from mlcourse.parallel.rank import RankInfo
from mlcourse.validation import check_type


def digits_train_set() -> TensorDataset:
    """The digits' training split as ``(x, y, index)`` tensors (index: the row)."""
    x, y = (torch.as_tensor(a) for a in train_arrays())
    return TensorDataset(x, y, torch.arange(len(x)))


def flat_parameters(model: torch.nn.Module) -> torch.Tensor:
    """All parameters of `model` as one detached 1-D tensor (a copy)."""
    parameters = list(check_type("model", model, torch.nn.Module).parameters())
    if not parameters:
        raise ValueError(f"model has no parameters: {type(model).__name__}")
    return torch.cat([p.detach().reshape(-1) for p in parameters]).clone()


def flat_gradients(model: torch.nn.Module) -> torch.Tensor:
    """All ``.grad`` of `model` as one 1-D tensor (a copy)."""
    parameters = list(check_type("model", model, torch.nn.Module).parameters())
    if not parameters or any(p.grad is None for p in parameters):
        raise ValueError(
            "model has parameters without a gradient (or none): run backward first"
        )
    return torch.cat([p.grad.reshape(-1) for p in parameters]).clone()


def epochs_of_batches(data: TensorDataset, batch: int, steps: int, seed: int = 0):
    """Yield `steps` batches ``(x, y, index)`` of this rank's shard, epoch by epoch.

    A ``DistributedSampler`` gives each rank its own 1/N of every shuffled
    epoch (``drop_last`` keeps the shards equal); ``set_epoch`` reshuffles.
    """
    sampler = DistributedSampler(data, shuffle=True, seed=seed, drop_last=True)
    loader = DataLoader(data, batch_size=batch, sampler=sampler)
    done, epoch = 0, 0
    while True:
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
        for x, y, index in loader:
            yield x, y, index
            done += 1
            if done == steps:
                return
        epoch += 1


def ddp_training(
    me: RankInfo,
    steps: int = 300,
    batch: int = 16,
    lr: float = 0.05,
    hidden: int = 128,
    seed: int = 0,
) -> dict:
    """Train with DDP; return each step's indices, the losses and the weights.

    Each rank draws *different* initial weights (seed + rank) on purpose:
    wrapping the model in DDP broadcasts rank 0's, which the result shows.
    """
    data = digits_train_set()
    model = digits_mlp(seed + me.rank, hidden=hidden)
    before = flat_parameters(model)
    ddp = DDP(model)  # broadcasts rank 0's parameters and buffers to every rank
    after = flat_parameters(model)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=lr)
    indices, losses = [], []
    start = time.perf_counter()
    for x, y, index in epochs_of_batches(data, batch, steps, seed):
        loss = F.cross_entropy(ddp(x), y)
        optimizer.zero_grad()
        loss.backward()  # DDP averages the gradients over the ranks here
        optimizer.step()
        indices.append(index.tolist())
        losses.append(loss.item())
    seconds_per_step = (time.perf_counter() - start) / steps
    return {
        "initial_before_ddp": before,
        "initial_after_ddp": after,
        "indices": indices,
        "losses": losses,
        "final": flat_parameters(model),
        "seconds_per_step": seconds_per_step,
        "state_dict_keys": list(ddp.state_dict())[:2],
        "module_state_dict_keys": list(ddp.module.state_dict())[:2],
        "shard_size": len(DistributedSampler(data, drop_last=True)),
        "dataset_size": len(data),
    }


def bucket_logger(numels: list[int]):
    """A DDP communication hook that appends each bucket's size to `numels`, then
    all-reduces the bucket exactly as DDP does without a hook."""

    def hook(state, bucket):
        numels.append(bucket.buffer().numel())
        return allreduce_hook(state, bucket)

    return hook


def hand_all_reduce(me: RankInfo, batch: int = 16, hidden: int = 128) -> dict:
    """One backward pass with DDP, and one with an all-reduce written by hand."""
    x, y, _ = digits_train_set()[me.rank * batch : (me.rank + 1) * batch]
    ddp = DDP(digits_mlp(0, hidden=hidden))
    F.cross_entropy(ddp(x), y).backward()  # DDP averages the gradients

    by_hand = digits_mlp(0, hidden=hidden)
    F.cross_entropy(by_hand(x), y).backward()
    for p in by_hand.parameters():
        dist.all_reduce(p.grad)  # the sum over the ranks...
        p.grad /= me.world_size  # ...divided by N: the average
    difference = flat_gradients(ddp.module) - flat_gradients(by_hand)
    return {"max_diff_hand_vs_ddp": difference.abs().max()}


def accumulation(
    me: RankInfo, batch: int = 16, micro_batches: int = 4, hidden: int = 128
) -> dict:
    """Gradient accumulation with ``no_sync``, done right and wrong, counting
    the all-reduce calls, against the gradient of the whole big batch."""
    x, y, _ = digits_train_set().tensors
    n, r = me.world_size, me.rank
    everything = slice(0, micro_batches * n * batch)  # all ranks' micro-batches
    reference = digits_mlp(0, hidden=hidden)
    F.cross_entropy(reference(x[everything]), y[everything]).backward()
    result = {}
    for forward_inside in (True, False):
        log: list[int] = []
        ddp = DDP(digits_mlp(0, hidden=hidden))
        ddp.register_comm_hook(None, bucket_logger(log))
        calls = []
        for k in range(micro_batches):
            rows = slice((k * n + r) * batch, (k * n + r + 1) * batch)
            last = k == micro_batches - 1
            skip_sync = contextlib.nullcontext() if last else ddp.no_sync()
            before = len(log)
            if forward_inside:
                with skip_sync:  # right: forward and backward inside no_sync
                    loss = F.cross_entropy(ddp(x[rows]), y[rows]) / micro_batches
                    loss.backward()
            else:
                loss = F.cross_entropy(ddp(x[rows]), y[rows]) / micro_batches
                with skip_sync:  # wrong: DDP's forward already planned a sync
                    loss.backward()
            calls.append(len(log) - before)
        difference = flat_gradients(ddp.module) - flat_gradients(reference)
        result["forward_inside" if forward_inside else "forward_outside"] = {
            "all_reduce_calls": calls,
            "max_diff_vs_big_batch": difference.abs().max(),
        }
    return result


def buckets(me: RankInfo, batch: int = 16, hidden: int = 128) -> dict:
    """The sizes of the buckets one backward pass all-reduces, by bucket cap."""
    x, y, _ = digits_train_set()[me.rank * batch : (me.rank + 1) * batch]
    result = {}
    for cap_mb in (None, 0.001, 0.0001):  # None: DDP's default, 25 MB
        log: list[int] = []
        model = DDP(digits_mlp(0, hidden=hidden), bucket_cap_mb=cap_mb)
        model.register_comm_hook(None, bucket_logger(log))
        per_step = []
        for _ in range(2):  # DDP rebuilds its buckets after the first backward
            log.clear()
            F.cross_entropy(model(x), y).backward()
            per_step.append(list(log))
        result["default" if cap_mb is None else f"{cap_mb} MB"] = per_step
    result["parameter_numels"] = {
        name: p.numel()
        for name, p in digits_mlp(0, hidden=hidden).named_parameters()
    }
    return result
