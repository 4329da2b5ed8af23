"""The book's figure style, and one colour per framework used in every chapter."""

from __future__ import annotations

FRAMEWORK_COLORS = {
    "numpy": "#0072B2",
    "torch": "#D55E00",
    "tensorflow": "#009E73",
}

# Colour-blind-safe cycle (Okabe and Ito, 2008).
_CYCLE = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
]


def use_book_style() -> None:
    """Set matplotlib defaults for the book.

    Readable sizes, a light grid and a colour-blind-safe colour cycle.

    Called by :func:`mlcourse.setup`; figures are rendered as SVG-sharp PNGs at
    a size that fits the book's text column.
    """
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 3.6),
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "figure.constrained_layout.use": True,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": mpl.cycler(color=_CYCLE),
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "legend.frameon": False,
            "lines.linewidth": 1.8,
        }
    )
