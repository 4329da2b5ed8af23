"""Collective operations on real ranks, and an all-reduce by hand around a ring.

Experiments for ``python -m mlcourse.parallel`` (the distributed-training
chapter runs them with 4 ranks):

- :func:`basics`: broadcast, all-reduce, reduce-scatter and all-gather on
  small known tensors, each rank's input and output;
- :func:`ring`: :func:`ring_all_reduce` against ``dist.all_reduce``, with the
  bytes each rank sent;
- :func:`timings`: how long an all-reduce takes against the message size,
  for the alpha-beta cost model;
- :func:`hello`: where each rank runs (the multi-node demonstration).
"""

from __future__ import annotations

import os
import socket
import statistics
import time

import torch
import torch.distributed as dist

from mlcourse.parallel.rank import RankInfo


def rank_input(rank: int, world_size: int) -> torch.Tensor:
    """Rank r's input for :func:`basics`: ``[10r, 10r + 1, ..., 10r + N - 1]``."""
    return torch.arange(world_size, dtype=torch.float32) + 10 * rank


def basics(me: RankInfo) -> dict:
    """Each collective applied to :func:`rank_input`: what this rank then holds."""
    n = me.world_size
    x = rank_input(me.rank, n)

    broadcast = x.clone()
    dist.broadcast(broadcast, src=0)  # everyone gets rank 0's tensor

    all_reduce = x.clone()
    dist.all_reduce(all_reduce, op=dist.ReduceOp.SUM)  # everyone gets the sum

    reduce_scatter = torch.empty(1)  # rank r gets element r of the sum
    dist.reduce_scatter(
        reduce_scatter, list(x.clone().chunk(n)), op=dist.ReduceOp.SUM
    )

    gathered = [torch.empty(n) for _ in range(n)]
    dist.all_gather(gathered, x)  # everyone gets every rank's tensor

    return {
        "input": x,
        "broadcast": broadcast,
        "all_reduce": all_reduce,
        "reduce_scatter": reduce_scatter,
        "all_gather": torch.cat(gathered),
    }


def ring_all_reduce(tensor: torch.Tensor) -> int:
    """Sum a contiguous `tensor` over all ranks in place, around a ring; return
    the bytes this rank sent.

    The tensor is cut into N chunks. Reduce-scatter: for N - 1 steps each rank
    sends one chunk to its right neighbour and adds the chunk arriving from
    its left, so that rank r ends up with the full sum of chunk r + 1.
    All-gather: for N - 1 more steps the finished chunks travel around the
    ring. Each rank sends 2 (N - 1) chunks: 2 (N - 1) / N of the tensor.
    """
    n, r = dist.get_world_size(), dist.get_rank()
    if n == 1:
        return 0
    right, left = (r + 1) % n, (r - 1) % n
    chunks = tensor.view(-1).tensor_split(n)  # views: writing them writes `tensor`
    sent = 0

    def exchange(send: torch.Tensor, receive_into: torch.Tensor) -> None:
        nonlocal sent
        request = dist.isend(send, right)  # send and receive at the same time
        dist.recv(receive_into, left)
        request.wait()
        sent += send.numel() * send.element_size()

    for step in range(n - 1):  # reduce-scatter
        incoming = torch.empty_like(chunks[(r - step - 1) % n])
        exchange(chunks[(r - step) % n], incoming)
        chunks[(r - step - 1) % n].add_(incoming)
    for step in range(n - 1):  # all-gather
        exchange(chunks[(r + 1 - step) % n], chunks[(r - step) % n])
    return sent


def ring(me: RankInfo, numel: int = 100_003, seed: int = 0) -> dict:
    """:func:`ring_all_reduce` and ``dist.all_reduce`` on the same random tensor."""
    generator = torch.Generator().manual_seed(seed + me.rank)
    x = torch.randn(numel, generator=generator)
    ours, theirs = x.clone(), x.clone()
    sent = ring_all_reduce(ours)
    dist.all_reduce(theirs)
    everyone = [torch.empty_like(x) for _ in range(me.world_size)]
    dist.all_gather(everyone, x)
    exact = torch.stack(everyone).double().sum(dim=0)  # in float64, for reference
    return {
        "numel": numel,
        "message_bytes": x.numel() * x.element_size(),
        "bytes_sent": sent,
        "max_diff_ring_vs_all_reduce": (ours - theirs).abs().max(),
        "max_diff_ring_vs_float64": (ours.double() - exact).abs().max(),
        "max_diff_all_reduce_vs_float64": (theirs.double() - exact).abs().max(),
        "max_abs_sum": exact.abs().max(),
    }


def timings(
    me: RankInfo,
    numels: tuple[int, ...] = tuple(4**k for k in range(1, 11)),
    repeats: int = 5,
) -> dict:
    """Median seconds of ``dist.all_reduce`` and :func:`ring_all_reduce` by size."""
    measured: dict[str, list[float]] = {"all_reduce": [], "ring": []}
    for numel in numels:
        for name, reduce in (
            ("all_reduce", dist.all_reduce),
            ("ring", ring_all_reduce),
        ):
            x = torch.ones(numel)
            reduce(x)  # warm-up: connections, buffers
            seconds = []
            for _ in range(repeats):
                dist.barrier()
                start = time.perf_counter()
                reduce(x)
                seconds.append(time.perf_counter() - start)
            # The slowest rank decides when the collective is over.
            slowest = torch.tensor(statistics.median(seconds))
            dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
            measured[name].append(float(slowest))
    return {"numels": list(numels), **measured}


def hello(me: RankInfo) -> dict:
    """Where this rank runs, as torchrun told it, and the sum of the ranks."""
    total = torch.tensor([float(me.rank)])
    dist.all_reduce(total)
    names = ("RANK", "LOCAL_RANK", "GROUP_RANK", "WORLD_SIZE", "MASTER_ADDR")
    return {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "env": {name: os.environ.get(name) for name in names},
        "sum_of_ranks": total,
    }
