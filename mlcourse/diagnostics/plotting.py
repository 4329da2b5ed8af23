"""Drawing the tables of :mod:`mlcourse.diagnostics`: :func:`plot`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mlcourse.diagnostics.layers import LOG_SCALE, STATS
from mlcourse.validation import (
    check_bool,
    check_choice,
    check_sequence,
    check_type,
)


def plot(
    table,
    stat: str,
    *,
    against: str = "step",
    layers: str | Sequence[str] | None = None,
    steps: Sequence[int] | None = None,
    ax=None,
    logy: bool | None = None,
    label: str | None = None,
    **line_options,
):
    """Draw one statistic of a :func:`record` or :func:`snapshot` table; return ax.

    ``against="step"``: one line per layer (all, or those named in `layers`)
    over the recorded steps. ``against="layer"``: the statistic across the
    layers, in model order, one line per step in `steps` (default: the first
    and the last recorded), or a single line for a snapshot, named `label`.
    `logy` defaults to a log scale for the norms, ratios and ``act_std``.
    Other keyword arguments go to ``ax.plot`` (``marker`` and ``ms`` override
    the dots drawn against the layers).
    """
    import matplotlib.pyplot as plt
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D

    check_type(
        "table", table, pd.DataFrame, "a table from diagnostics.record or snapshot"
    )
    stat = check_choice("stat", stat, STATS)
    against = check_choice("against", against, ("step", "layer"))
    if "layer" not in table.columns or stat not in table.columns:
        raise ValueError(
            f"table must have the columns 'layer' and {stat!r}, "
            f"got {list(table.columns)}"
        )
    if table.empty:
        raise ValueError("table is empty: nothing was recorded")
    has_steps = "step" in table.columns
    if against == "step" and not has_steps:
        raise ValueError("a snapshot has no steps: use against='layer'")
    if steps is not None:
        if against == "step" or not has_steps:
            raise ValueError(
                "steps chooses the recorded steps drawn with against='layer'; "
                "leave it out here"
            )
        steps = check_sequence("steps", steps, what="step numbers", non_empty=True)
    if ax is not None:
        check_type("ax", ax, Axes, "matplotlib Axes")
    if logy is not None:
        logy = check_bool("logy", logy)
    if label is not None:
        check_type("label", label, str, "a string (the legend's entry)")
    try:  # a keyword ax.plot would refuse only after the figure was begun
        Line2D([], []).set(**line_options)
    except (AttributeError, TypeError, ValueError) as error:
        raise TypeError(f"line_options: ax.plot refuses them: {error}") from None
    order = list(dict.fromkeys(table["layer"]))
    if layers is not None:
        layers = (
            [layers]
            if isinstance(layers, str)
            else check_sequence(
                "layers", layers, what="layer names", non_empty=True
            )
        )
        unknown = [name for name in layers if name not in order]
        if unknown:
            raise ValueError(
                f"layers: {unknown[0]!r} is not in the table; it has {order}"
            )
        order = [name for name in order if name in layers]
    if against == "layer" and has_steps:
        recorded = list(dict.fromkeys(table["step"]))
        chosen = [recorded[0], recorded[-1]] if steps is None else list(steps)
        for step in chosen:
            if step not in recorded:
                raise ValueError(f"steps: step {step!r} was not recorded")
    if ax is None:
        _, ax = plt.subplots()
    if against == "step":
        for name in order:
            rows = table[table["layer"] == name]
            ax.plot(rows["step"], rows[stat], label=name, **line_options)
        ax.set_xlabel("optimizer step")
    else:
        positions = np.arange(len(order))
        if has_steps:
            for step in chosen:
                rows = table[table["step"] == step].set_index("layer").loc[order]
                ax.plot(
                    positions,
                    rows[stat],
                    label=f"step {step}",
                    **{"marker": "o", "ms": 3, **line_options},
                )
        else:
            rows = table.set_index("layer").loc[order]
            ax.plot(
                positions,
                rows[stat],
                label=label,
                **{"marker": "o", "ms": 3, **line_options},
            )
        ax.set_xlabel("layer")
        if len(order) <= 12:
            ax.set_xticks(positions, order)
    if logy if logy is not None else stat in LOG_SCALE:
        ax.set_yscale("log")
    ax.set_ylabel(stat.replace("_", " "))
    return ax
