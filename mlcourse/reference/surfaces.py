"""Two-dimensional test functions for optimization, and a plot of trajectories.

Used by the gradient-descent and optimizers chapters: a quadratic whose
curvatures (and so condition number) are chosen, and the Rosenbrock function.
Every function accepts points of shape ``(..., 2)``, so the same code
evaluates one point, a trajectory, or a whole grid for a contour plot.
Points may be infinite or NaN (a diverging run reaches them); the functions
then return what IEEE arithmetic gives, as NumPy does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from mlcourse.validation import (
    check_array,
    check_bool,
    check_callable,
    check_int,
    check_number,
    check_type,
    describe,
)


def _check_points(w: np.ndarray, name: str = "w") -> np.ndarray:
    """`w` as a float array of points, shape ``(..., 2)``."""
    w = check_array(name, w, kind="fiu", finite=False, min_ndim=1).astype(float)
    if w.shape[-1] != 2:
        raise ValueError(f"{name} must have shape (..., 2), got {w.shape}")
    return w


def _check_pair(name: str, value, *, positive: bool = False) -> tuple[float, float]:
    """`value` as a pair of finite floats (positive ones if `positive`)."""
    pair = check_array(name, value, shape=(2,), kind="fiu")
    low = dict(low=0, low_open=True) if positive else {}
    return tuple(check_number(f"{name}[{i}]", v, **low) for i, v in enumerate(pair))


@dataclass(frozen=True)
class Quadratic:
    """``f(w) = 0.5 (w - w*)ᵀ A (w - w*)`` with ``A = R diag(curvatures) Rᵀ``.

    `curvatures` are the two eigenvalues of the Hessian ``A`` (both positive);
    `angle` (radians) rotates its eigenvectors away from the axes; `minimum`
    is ``w*``. Gradient descent on it converges for steps below ``2 / L``.
    """

    curvatures: tuple[float, float] = (1.0, 10.0)
    angle: float = 0.0
    minimum: tuple[float, float] = (0.0, 0.0)
    hessian: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        curvatures = _check_pair("curvatures", self.curvatures, positive=True)
        object.__setattr__(self, "curvatures", curvatures)
        object.__setattr__(self, "angle", check_number("angle", self.angle))
        object.__setattr__(self, "minimum", _check_pair("minimum", self.minimum))
        c, s = np.cos(self.angle), np.sin(self.angle)
        rotation = np.array([[c, -s], [s, c]])
        object.__setattr__(
            self, "hessian", rotation @ np.diag(self.curvatures) @ rotation.T
        )

    @property
    def largest_curvature(self) -> float:
        """``L``, the largest eigenvalue of the Hessian."""
        return float(max(self.curvatures))

    @property
    def condition_number(self) -> float:
        """``L / mu``: largest over smallest curvature."""
        return float(max(self.curvatures) / min(self.curvatures))

    def __call__(self, w: np.ndarray) -> np.ndarray:
        """The value at each point of `w` (shape ``(..., 2)``), shape ``(...)``."""
        d = _check_points(w) - np.asarray(self.minimum)
        return 0.5 * np.einsum("...i,ij,...j->...", d, self.hessian, d)

    def grad(self, w: np.ndarray) -> np.ndarray:
        """``A (w - w*)``, shape like `w`."""
        return (_check_points(w) - np.asarray(self.minimum)) @ self.hessian.T


@dataclass(frozen=True)
class Rosenbrock:
    """``f(x, y) = (a - x)² + b (y - x²)²``; minimum 0 at ``(a, a²)``.

    The minimum lies in a curved, narrow valley; `b` (positive) sets how
    narrow.
    """

    a: float = 1.0
    b: float = 100.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "a", check_number("a", self.a))
        object.__setattr__(
            self, "b", check_number("b", self.b, low=0, low_open=True)
        )

    @property
    def minimum(self) -> tuple[float, float]:
        """The minimizer ``(a, a²)``."""
        return (self.a, self.a**2)

    def __call__(self, w: np.ndarray) -> np.ndarray:
        """The value at each point of `w` (shape ``(..., 2)``), shape ``(...)``."""
        w = _check_points(w)
        x, y = w[..., 0], w[..., 1]
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def grad(self, w: np.ndarray) -> np.ndarray:
        """The gradient at each point of `w`, shape like `w`."""
        w = _check_points(w)
        x, y = w[..., 0], w[..., 1]
        dx = -2 * (self.a - x) - 4 * self.b * x * (y - x**2)
        dy = 2 * self.b * (y - x**2)
        return np.stack([dx, dy], axis=-1)


def plot_trajectories(
    ax,
    function,
    trajectories: Mapping[str, np.ndarray],
    *,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    levels: int | np.ndarray = 20,
    log_levels: bool = False,
):
    """Contours of `function` on `ax`, with each trajectory drawn over them.

    `function` maps points ``(..., 2)`` to values (a :class:`Quadratic`, a
    :class:`Rosenbrock`...); `trajectories` maps a label to an array of shape
    ``(steps, 2)``; `xlim` and `ylim` are ``(low, high)`` pairs. `levels` is a
    number of contour levels or the levels themselves; `log_levels` spaces
    them logarithmically, which suits functions with a narrow valley such as
    Rosenbrock's. Returns `ax`.
    """
    if not (hasattr(ax, "contour") and hasattr(ax, "plot")):
        raise TypeError(f"ax must be a matplotlib Axes, got {describe(ax)}")
    check_callable("function", function, "a function of points (..., 2)")
    check_type("trajectories", trajectories, Mapping, "a dict of labels to paths")
    paths = {
        label: _check_points(path, f"trajectory {label!r}")
        for label, path in trajectories.items()
    }
    for name, limits in (("xlim", xlim), ("ylim", ylim)):
        low, high = _check_pair(name, limits)
        if not low < high:
            raise ValueError(
                f"{name} must be (low, high) with low < high, got {limits}"
            )
    if isinstance(levels, (int, np.integer)) and not isinstance(levels, bool):
        levels = check_int("levels", levels, low=1)
    else:
        levels = check_array("levels", levels, ndim=1, kind="fiu", non_empty=True)
    log_levels = check_bool("log_levels", log_levels)
    xs, ys = np.linspace(*xlim, 200), np.linspace(*ylim, 200)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    values = function(grid)
    if log_levels and isinstance(levels, int):
        low = max(values.min(), 1e-3)
        levels = np.geomspace(low, values.max(), levels)
    ax.contour(xs, ys, values, levels=levels, colors="0.75", linewidths=0.7)
    for label, path in paths.items():
        if path.ndim != 2:
            raise ValueError(
                f"trajectory {label!r} must have shape (steps, 2), got {path.shape}"
            )
        ax.plot(path[:, 0], path[:, 1], marker=".", markersize=3, label=label)
    if hasattr(function, "minimum"):
        ax.plot(
            *function.minimum,
            marker="*",
            color="black",
            markersize=10,
            linestyle="none",
        )
    ax.set(xlim=xlim, ylim=ylim, xlabel="$w_1$", ylabel="$w_2$")
    ax.set_aspect("equal", adjustable="box")
    return ax
