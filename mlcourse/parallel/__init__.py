"""Several processes from a notebook: the launcher, and the programs the ranks run.

- :mod:`mlcourse.parallel.launcher`: start ``torchrun``, TensorFlow workers or
  plain commands from a cell, stream rank 0's output, return each rank's
  results, and kill every process when the cell ends, fails, times out or is
  interrupted. Its docstring is the API note.
- :mod:`mlcourse.parallel.rank`: the start and end of every rank program (join
  the group, print on rank 0, save results).
- :mod:`mlcourse.parallel.data`: the training data the ranks read.

The rank programs, one module per topic of the distributed-training chapter.
Each holds experiments, functions ``f(me, **options) -> dict`` that every rank
runs; ``python -m mlcourse.parallel module:function [name=value ...] ...``
(:mod:`mlcourse.parallel.__main__`) joins the group once and runs several:

- :mod:`~mlcourse.parallel.collectives`: broadcast, all-reduce, reduce-scatter,
  all-gather; a ring all-reduce from point-to-point sends; all-reduce timings;
- :mod:`~mlcourse.parallel.data_parallel`: DDP training with a
  ``DistributedSampler``, DDP against a hand-written all-reduce, ``no_sync``,
  buckets;
- :mod:`~mlcourse.parallel.sharding`: FSDP (``fully_shard``) against DDP;
- :mod:`~mlcourse.parallel.tensor_parallel`: linear layers split by columns
  and rows;
- :mod:`~mlcourse.parallel.parameter_server`: a parameter server over
  ``torch.distributed.rpc``, synchronous and asynchronous;
- :mod:`~mlcourse.parallel.scaling`: time per step against the number of ranks;
- :mod:`~mlcourse.parallel.tf_workers`: a ``MultiWorkerMirroredStrategy``
  worker (its own program, run by ``launcher.run_tf_workers``).

Importing this package imports neither PyTorch nor TensorFlow (the rank
programs do, when imported themselves).
"""

from mlcourse.parallel import launcher, rank
from mlcourse.parallel.launcher import (
    LaunchTimeout,
    RankFailure,
    RunResult,
    free_port,
    proportional_memory,
    run_processes,
    run_tf_workers,
    run_torchrun,
)

__all__ = [
    "LaunchTimeout",
    "RankFailure",
    "RunResult",
    "free_port",
    "launcher",
    "proportional_memory",
    "rank",
    "run_processes",
    "run_tf_workers",
    "run_torchrun",
]
