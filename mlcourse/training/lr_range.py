"""The learning-rate range test (Smith, 2017), and the smoothing it is read with.

The optimizers chapter derives and runs it; the tuning and troubleshooting
chapters reuse it::

    rates, losses = range_test(model, optimizer, loader, F.cross_entropy,
                               lr_start=1e-4, lr_end=10.0, max_steps=200)
    trend = smooth(losses)
    steepest = rates[np.argmin(np.gradient(trend, np.log(rates)))]

Train for up to `max_steps` mini-batches while the learning rate grows
geometrically from `lr_start` to `lr_end`; where the loss starts to fall the
rate has become large enough to matter, where it turns up it is too large.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from mlcourse.validation import (
    check_array,
    check_callable,
    check_int,
    check_number,
    check_type,
    describe,
)


def range_test(
    model,
    optimizer,
    loader: Iterable,
    loss_fn: Callable,
    *,
    lr_start: float = 1e-4,
    lr_end: float = 10.0,
    max_steps: int = 200,
    stop_factor: float = 4.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Each mini-batch's loss while the learning rate grows from `lr_start` up.

    Step ``t`` (from 0) trains with ``lr_start * (lr_end / lr_start) ** (t /
    (max_steps - 1))``, set in every parameter group of the PyTorch
    `optimizer` (which must update `model`); `loader` yields ``(x, y)``
    batches and is re-read as often as needed; ``loss_fn(model(x), y)`` is
    the batch loss. The test stops after `max_steps` batches, or early once a
    loss is NaN or infinite or exceeds `stop_factor` times the lowest so far.
    Returns the rates and the losses, two arrays of the same length. The
    model's weights are trained in place: start from a fresh copy.
    """
    import torch

    check_type("model", model, torch.nn.Module, "a torch.nn.Module")
    check_type("optimizer", optimizer, torch.optim.Optimizer, "a torch optimizer")
    check_callable("loss_fn", loss_fn, "a loss function (outputs, targets) -> loss")
    lr_start = check_number("lr_start", lr_start, low=0, low_open=True)
    lr_end = check_number("lr_end", lr_end, low=lr_start, low_open=True)
    max_steps = check_int("max_steps", max_steps, low=2)
    stop_factor = check_number("stop_factor", stop_factor, low=1, low_open=True)
    rates = lr_start * (lr_end / lr_start) ** (
        np.arange(max_steps) / (max_steps - 1)
    )
    losses: list[float] = []
    while True:
        batches = 0
        for x, y in loader:
            batches += 1
            for group in optimizer.param_groups:
                group["lr"] = float(rates[len(losses)])
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            if (
                len(losses) == max_steps
                or not np.isfinite(losses[-1])
                or losses[-1] > stop_factor * min(losses)
            ):
                return rates[: len(losses)].copy(), np.array(losses)
        if batches == 0:
            raise ValueError(f"loader gave no batches: {describe(loader)}")


def smooth(values, beta: float = 0.9) -> np.ndarray:
    """Exponential moving average of `values` with Adam's bias correction.

    ``a_t = beta a_{t-1} + (1 - beta) v_t``, reported as ``a_t / (1 - beta^t)``
    so the first values are not pulled towards 0: the trend of noisy
    mini-batch losses, as the range test is read.
    """
    # NaN and inf pass through (a range test's last loss may be either).
    values = check_array("values", values, ndim=1, finite=False, non_empty=True)
    values = values.astype(float)
    beta = check_number("beta", beta, low=0, high=1, high_open=True)
    average, out = 0.0, np.empty_like(values)
    for t, value in enumerate(values, start=1):
        average = beta * average + (1 - beta) * value
        out[t - 1] = average / (1 - beta**t)
    return out
