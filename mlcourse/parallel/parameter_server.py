"""A parameter server with ``torch.distributed.rpc``: rank 0 keeps the weights, the
other ranks compute gradients.

Experiment for ``python -m mlcourse.parallel`` (the distributed-training
chapter runs it with 1 server and 3 workers): :func:`train` runs a
synchronous round (the server waits for every worker's gradient, averages
them and steps: the same as an all-reduce), then an asynchronous one (the
server applies each gradient as it arrives, so workers compute on weights
that others have changed since: stale gradients).
"""

from __future__ import annotations

import threading

import torch
import torch.distributed.rpc as rpc
import torch.nn.functional as F
from torch.nn.utils import vector_to_parameters

from mlcourse.models import digits_mlp
from mlcourse.parallel.data_parallel import (
    digits_train_set,
    flat_gradients,
    flat_parameters,
)
from mlcourse.parallel.rank import RankInfo
from mlcourse.validation import check_int


class ParameterServer:
    """Keeps the weights as one vector; workers push gradients, get weights back."""

    def __init__(
        self, weights: torch.Tensor, lr: float, workers: int, synchronous: bool
    ):
        self.weights, self.lr, self.workers = weights.clone(), lr, workers
        self.synchronous = synchronous
        self.version = 0  # how many updates the weights have had
        self.lock = threading.Lock()  # requests arrive on several threads
        self.round: dict[
            int, torch.Tensor
        ] = {}  # synchronous: this round's gradients
        self.round_done = torch.futures.Future()
        self.staleness: list[
            int
        ] = []  # asynchronous: updates missed by each gradient

    def pull(self) -> tuple[torch.Tensor, int]:
        with self.lock:
            return self.weights.clone(), self.version

    @staticmethod
    @rpc.functions.async_execution
    def push(server, worker: int, gradient: torch.Tensor, version: int):
        """Called by a worker: apply (or collect) its gradient; return a future of
        ``(weights, version)`` for its next step."""
        self = server.local_value()
        with self.lock:
            if not self.synchronous:
                self.staleness.append(self.version - version)
                self.weights -= self.lr * gradient
                self.version += 1
                done = torch.futures.Future()
                done.set_result((self.weights.clone(), self.version))
                return done
            self.round[worker] = gradient
            done = self.round_done
            if len(self.round) == self.workers:  # the last gradient of the round
                mean = torch.stack(
                    [self.round[w] for w in sorted(self.round)]
                ).mean(0)
                self.weights -= self.lr * mean
                self.version += 1
                self.round, self.round_done = {}, torch.futures.Future()
                done.set_result((self.weights.clone(), self.version))
            return done  # resolved when every worker of the round has pushed


def pull(server) -> tuple[torch.Tensor, int]:
    """Runs on the server: the current weights and their version."""
    return server.local_value().pull()


def worker_batches(worker: int, workers: int, steps: int, batch: int, seed: int):
    """Row indices of each of a worker's steps: step t of worker w takes rows
    ``[(t W + w) B, (t W + w + 1) B)`` of a shuffled order, epoch after epoch."""
    workers = check_int("workers", workers, low=1)
    worker = check_int("worker", worker, low=0, high=workers - 1)
    steps = check_int("steps", steps, low=1)
    batch = check_int("batch", batch, low=1)
    seed = check_int("seed", seed, low=0)
    size = len(digits_train_set())
    per_epoch = size // (workers * batch)  # whole rounds per epoch
    if per_epoch == 0:
        raise ValueError(
            f"batch={batch} for {workers} workers asks for more than the "
            f"{size} examples of an epoch"
        )
    generator = torch.Generator().manual_seed(seed)
    order = []
    for _ in range(-(-steps // per_epoch)):
        order.append(
            torch.randperm(size, generator=generator)[: per_epoch * workers * batch]
        )
    rounds = torch.cat(order).view(-1, workers, batch)
    return rounds[:steps, worker]


def run_worker(
    server,
    worker: int,
    workers: int,
    steps: int,
    batch: int,
    seed: int,
    hidden: int,
):
    """A worker's loop (runs on a worker, started by rank 0 over RPC)."""
    data = digits_train_set()
    x, y = data.tensors[0], data.tensors[1]
    model = digits_mlp(seed, hidden=hidden)
    owner = server.owner()
    weights, version = rpc.rpc_sync(owner, pull, args=(server,))
    for rows in worker_batches(worker, workers, steps, batch, seed):
        vector_to_parameters(weights, model.parameters())
        model.zero_grad()
        F.cross_entropy(model(x[rows]), y[rows]).backward()
        weights, version = rpc.rpc_sync(
            owner,
            ParameterServer.push,
            args=(server, worker, flat_gradients(model), version),
        )
    return version


def train(
    me: RankInfo,
    steps: int = 60,
    batch: int = 16,
    lr: float = 0.05,
    hidden: int = 128,
    seed: int = 0,
) -> dict:
    """Rank 0 serves, the others train: a synchronous run, then an asynchronous."""
    name = "server" if me.rank == 0 else f"worker{me.rank}"
    rpc.init_rpc(name, rank=me.rank, world_size=me.world_size)
    result = {}
    if me.rank == 0:
        workers = me.world_size - 1
        initial = flat_parameters(digits_mlp(seed, hidden=hidden))
        for mode in ("synchronous", "asynchronous"):
            state = ParameterServer(initial, lr, workers, mode == "synchronous")
            server = rpc.RRef(state)
            futures = [
                rpc.rpc_async(
                    f"worker{w + 1}",
                    run_worker,
                    args=(server, w, workers, steps, batch, seed, hidden),
                )
                for w in range(workers)
            ]
            torch.futures.wait_all(futures)
            result[mode] = {
                "final": state.weights,
                "updates": state.version,
                "staleness": state.staleness,
            }
        result["schedule"] = [
            worker_batches(w, workers, steps, batch, seed) for w in range(workers)
        ]
    rpc.shutdown()  # waits until every rank is done
    return result
