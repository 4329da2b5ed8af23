"""Tensor parallelism: linear layers split over the ranks by columns and by rows.

Experiment for ``python -m mlcourse.parallel`` (the distributed-training
chapter runs it on 2 ranks): :func:`linear_layers` computes a two-layer MLP,
``y = relu(x W1) W2``, with ``W1`` split by columns (each rank computes some
of the hidden features) and ``W2`` split by rows (each rank adds its part of
the sum), by hand and with ``torch.distributed.tensor.parallel``, and checks
both against the unsplit layers computed on every rank.
"""

from __future__ import annotations

import torch
import torch.distributed as dist

from mlcourse.parallel.rank import RankInfo


def column_parallel(x: torch.Tensor, w_columns: torch.Tensor) -> torch.Tensor:
    """This rank's output features, ``x @ W[:, mine]``: no communication."""
    return x @ w_columns


def row_parallel(h_mine: torch.Tensor, w_rows: torch.Tensor) -> torch.Tensor:
    """``h @ W`` from this rank's input features ``h[:, mine] @ W[mine, :]``, summed
    over the ranks by one all-reduce."""
    partial = h_mine @ w_rows
    dist.all_reduce(partial)  # sum of the partial products
    return partial


def linear_layers(
    me: RankInfo,
    batch: int = 8,
    d_in: int = 64,
    d_hidden: int = 128,
    d_out: int = 10,
) -> dict:
    """The MLP split over the ranks, by hand and by the library, and unsplit."""
    generator = torch.Generator().manual_seed(0)  # the same tensors on every rank
    x = torch.randn(batch, d_in, generator=generator)
    w1 = torch.randn(d_in, d_hidden, generator=generator) / d_in**0.5
    w2 = torch.randn(d_hidden, d_out, generator=generator) / d_hidden**0.5
    n, r = me.world_size, me.rank
    unsplit_hidden = x @ w1
    unsplit = torch.relu(unsplit_hidden) @ w2

    # Column split alone: gather every rank's features to get the full layer output.
    h_mine = column_parallel(x, w1.tensor_split(n, dim=1)[r])
    pieces = [torch.empty_like(h_mine) for _ in range(n)]
    dist.all_gather(pieces, h_mine)
    gathered_hidden = torch.cat(pieces, dim=1)

    # Column then row (Megatron's MLP): the ReLU acts on this rank's features only,
    # so the block needs a single all-reduce, of the (batch, d_out) output.
    y = row_parallel(torch.relu(h_mine), w2.tensor_split(n, dim=0)[r])

    # The same with the library: nn.Linear stores W transposed, (out, in).
    model = torch.nn.Sequential(
        torch.nn.Linear(d_in, d_hidden, bias=False),
        torch.nn.ReLU(),
        torch.nn.Linear(d_hidden, d_out, bias=False),
    )
    with torch.no_grad():
        model[0].weight.copy_(w1.T)
        model[2].weight.copy_(w2.T)
    # Imported here: the DTensor machinery adds 40 MB to whoever imports it.
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor.parallel import (
        ColwiseParallel,
        RowwiseParallel,
        parallelize_module,
    )

    mesh = init_device_mesh("cpu", (n,))
    parallelize_module(
        model, mesh, {"0": ColwiseParallel(), "2": RowwiseParallel()}
    )
    with torch.no_grad():
        y_library = model(x)
    y_library = y_library.wait() if hasattr(y_library, "wait") else y_library
    return {
        "w1_shard_shape": list(w1.tensor_split(n, dim=1)[r].shape),
        "w2_shard_shape": list(w2.tensor_split(n, dim=0)[r].shape),
        "library_shard_shapes": {
            name: list(p.to_local().shape) for name, p in model.named_parameters()
        },
        "max_diff_column_gathered": (gathered_hidden - unsplit_hidden).abs().max(),
        "max_diff_column_row": (y - unsplit).abs().max(),
        "max_diff_library": (y_library - unsplit).abs().max(),
        "all_reduce_numel": y.numel(),
        "hidden_numel": unsplit_hidden.numel(),
    }
