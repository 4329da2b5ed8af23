"""How training speed changes with the number of ranks, on the machine at hand.

Experiment for ``python -m mlcourse.parallel`` (the distributed-training
chapter runs it with 4 ranks): :func:`throughput` trains with a fixed global
batch split over k = 1, 2, 4... of the ranks (the others wait), and times the
steps, and the same steps without any communication, so that the difference
is the cost of the gradient all-reduce.

The gradients are averaged by one ``all_reduce`` of all of them at once after
the backward pass: what DDP does, without its overlap of communication with
the backward pass (and without importing DDP, whose first use costs each
rank seconds of start-up).
"""

from __future__ import annotations

import statistics
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

from mlcourse.models import digits_mlp
from mlcourse.parallel.data_parallel import digits_train_set
from mlcourse.parallel.rank import RankInfo


def average_gradients(model: torch.nn.Module, group) -> None:
    """Replace each gradient by its average over `group`'s ranks: one all-reduce."""
    grads = [p.grad for p in model.parameters()]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat, group=group)
    flat /= dist.get_world_size(group)
    for grad, averaged in zip(grads, flat.split([g.numel() for g in grads])):
        grad.copy_(averaged.view_as(grad))


def sgd_step(model: torch.nn.Module, lr: float = 0.01) -> None:
    """Plain SGD written out (``torch.optim`` would cost each rank a second of
    start-up and ~80 MB: its first use imports PyTorch's compiler)."""
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
            p.grad = None


def timed_steps(model, x, y, steps: int, group) -> tuple[float, float]:
    """Median seconds of a training step without and with the all-reduce.

    The two kinds of step alternate, so that both see the same load on the
    machine (a paired measurement); one untimed step of each comes first.
    Without a `group` (one rank) the two kinds are the same step: both
    medians are then taken over all the steps, so that they are equal.
    """
    times: dict[bool, list[float]] = {False: [], True: []}
    for step in range(steps + 1):
        for communicate in (False, True):
            start = time.perf_counter()
            F.cross_entropy(model(x), y).backward()
            if communicate and group is not None:
                average_gradients(model, group)
            sgd_step(model)
            if step > 0:
                times[communicate].append(time.perf_counter() - start)
    if group is None:
        alone = statistics.median(times[False] + times[True])
        return alone, alone
    return statistics.median(times[False]), statistics.median(times[True])


def throughput(
    me: RankInfo,
    global_batch: int = 256,
    hiddens: tuple[int, ...] = (32, 1024),
    steps: int = 20,
) -> dict:
    """Seconds per step with the global batch split over k ranks, k = 1, 2, 4...

    For each hidden width and each k up to the world size (powers of 2),
    ranks 0..k-1 train together (k = 1 is one plain process), timing steps
    with and without the all-reduce (compute only). Rank 0's medians.
    """
    data = digits_train_set()
    x, y = data.tensors[0][:global_batch], data.tensors[1][:global_batch]
    sizes = [k for k in (1, 2, 4, 8, 16) if k <= me.world_size]
    groups = {
        k: dist.new_group(list(range(k))) for k in sizes
    }  # every rank calls it
    rows = {}
    for hidden in hiddens:
        for k in sizes:
            if me.rank < k:
                mine = slice(
                    me.rank * global_batch // k, (me.rank + 1) * global_batch // k
                )
                model = digits_mlp(0, hidden=hidden)
                group = groups[k] if k > 1 else None
                compute, total = timed_steps(model, x[mine], y[mine], steps, group)
                rows[f"{hidden}/{k}"] = {
                    "hidden": hidden,
                    "ranks": k,
                    "parameters": sum(p.numel() for p in model.parameters()),
                    "seconds_per_step": total,
                    "compute_seconds_per_step": compute,
                }
            dist.barrier()  # the ranks not in this group wait here
    return {"global_batch": global_batch, "rows": list(rows.values())}
