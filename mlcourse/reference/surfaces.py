"""Two-dimensional test functions for optimization, and a contour plot of trajectories.

Used by the gradient-descent and optimizers chapters: a quadratic whose
curvatures (and so condition number) are chosen, and the Rosenbrock function.
Every function accepts points of shape ``(..., 2)``, so the same code
evaluates one point, a trajectory, or a whole grid for a contour plot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np


def _check_points(w: np.ndarray) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    if w.shape[-1:] != (2,):
        raise ValueError(f"points must have shape (..., 2), got {w.shape}")
    return w


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
        if len(self.curvatures) != 2 or min(self.curvatures) <= 0:
            raise ValueError(f"need two positive curvatures, got {self.curvatures}")
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
        d = _check_points(w) - np.asarray(self.minimum)
        return 0.5 * np.einsum("...i,ij,...j->...", d, self.hessian, d)

    def grad(self, w: np.ndarray) -> np.ndarray:
        """``A (w - w*)``, shape like `w`."""
        return (_check_points(w) - np.asarray(self.minimum)) @ self.hessian.T


@dataclass(frozen=True)
class Rosenbrock:
    """``f(x, y) = (a - x)² + b (y - x²)²``; minimum 0 at ``(a, a²)``, in a curved narrow valley."""

    a: float = 1.0
    b: float = 100.0

    @property
    def minimum(self) -> tuple[float, float]:
        return (self.a, self.a**2)

    def __call__(self, w: np.ndarray) -> np.ndarray:
        w = _check_points(w)
        x, y = w[..., 0], w[..., 1]
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def grad(self, w: np.ndarray) -> np.ndarray:
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
    """Contours of `function` on `ax`, with each trajectory (shape ``(steps, 2)``) drawn over them.

    `log_levels` spaces the contour levels logarithmically, which suits
    functions with a narrow valley such as Rosenbrock's. Returns `ax`.
    """
    xs, ys = np.linspace(*xlim, 200), np.linspace(*ylim, 200)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    values = function(grid)
    if log_levels and isinstance(levels, int):
        low = max(values.min(), 1e-3)
        levels = np.geomspace(low, values.max(), levels)
    ax.contour(xs, ys, values, levels=levels, colors="0.75", linewidths=0.7)
    for label, path in trajectories.items():
        path = _check_points(path)
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
