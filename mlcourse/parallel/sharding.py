"""Fully sharded data parallelism (``fully_shard``) against DDP on the digits MLP.

Experiment for ``python -m mlcourse.parallel`` (the distributed-training
chapter runs it on 2 ranks): :func:`fsdp_vs_ddp` trains the same model on
the same batches twice, replicated (DDP) and sharded (FSDP), and reports the
shard each rank holds, the bytes of parameters, gradients and optimizer state
on each rank, and both sets of final weights.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import fully_shard
from torch.distributed.tensor import DTensor
from torch.nn.parallel import DistributedDataParallel as DDP

from mlcourse.models import digits_mlp
from mlcourse.parallel.data_parallel import (
    digits_train_set,
    epochs_of_batches,
    flat_parameters,
)
from mlcourse.parallel.rank import RankInfo


def local_part(tensor: torch.Tensor) -> torch.Tensor:
    """The part of `tensor` stored on this rank: a DTensor's shard, else all."""
    return tensor.to_local() if isinstance(tensor, DTensor) else tensor


def bytes_on_this_rank(
    model: torch.nn.Module, optimizer: torch.optim.Optimizer
) -> dict:
    """Bytes of parameters, gradients and optimizer state that this rank stores."""

    def size(tensors) -> int:
        return sum(local_part(t).numel() * t.element_size() for t in tensors)

    state = [
        v
        for s in optimizer.state.values()
        for v in s.values()
        if torch.is_tensor(v)
    ]
    return {
        "parameters": size(model.parameters()),
        "gradients": size(p.grad for p in model.parameters() if p.grad is not None),
        "optimizer_state": size(state),
    }


def train(
    model, steps, batch, lr, momentum, seed
) -> tuple[torch.optim.Optimizer, float]:
    """SGD with momentum on this rank's batches; the optimizer and s per step."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    start = time.perf_counter()
    for x, y, _ in epochs_of_batches(digits_train_set(), batch, steps, seed):
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=False)  # keep the gradients, to count them
        loss.backward()
        optimizer.step()
    return optimizer, (time.perf_counter() - start) / steps


def fsdp_vs_ddp(
    me: RankInfo,
    steps: int = 100,
    batch: int = 16,
    lr: float = 0.05,
    momentum: float = 0.9,
    hidden: int = 128,
    seed: int = 0,
) -> dict:
    """The same training, replicated with DDP and sharded with ``fully_shard``."""
    replicated = DDP(digits_mlp(seed, hidden=hidden))
    ddp_optimizer, ddp_seconds = train(replicated, steps, batch, lr, momentum, seed)

    sharded = digits_mlp(seed, hidden=hidden)
    # The mesh says where the shards live. Without it, fully_shard puts them on
    # the GPU whenever PyTorch sees one; these ranks compute on the CPU (gloo).
    mesh = init_device_mesh("cpu", (me.world_size,))
    for layer in sharded:
        if isinstance(layer, torch.nn.Linear):  # a shard of each layer per rank
            fully_shard(layer, mesh=mesh)
    fully_shard(sharded, mesh=mesh)
    shards = {
        name: list(local_part(p).shape) for name, p in sharded.named_parameters()
    }
    full_shapes = {name: list(p.shape) for name, p in sharded.named_parameters()}
    fsdp_optimizer, fsdp_seconds = train(sharded, steps, batch, lr, momentum, seed)
    # full_tensor() all-gathers the shards: every rank gets the whole weights.
    fsdp_final = torch.cat(
        [p.full_tensor().reshape(-1) for p in sharded.parameters()]
    )
    return {
        "shard_shapes": shards,
        "full_shapes": full_shapes,
        "bytes_ddp": bytes_on_this_rank(replicated, ddp_optimizer),
        "bytes_fsdp": bytes_on_this_rank(sharded, fsdp_optimizer),
        "final_ddp": flat_parameters(replicated.module),
        "final_fsdp": fsdp_final,
        "seconds_per_step_ddp": ddp_seconds,
        "seconds_per_step_fsdp": fsdp_seconds,
    }
