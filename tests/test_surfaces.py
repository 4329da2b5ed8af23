"""Tests of mlcourse.reference.surfaces: values, gradients against finite differences, plotting."""

import numpy as np
import pytest

from mlcourse.reference.surfaces import Quadratic, Rosenbrock, plot_trajectories


def finite_difference_grad(f, w, h=1e-6):
    return np.array([(f(w + h * e) - f(w - h * e)) / (2 * h) for e in np.eye(2)])


@pytest.mark.parametrize(
    "function",
    [Quadratic((0.5, 8.0), angle=0.6, minimum=(1.0, -2.0)), Rosenbrock()],
)
def test_gradients_match_finite_differences(function):
    for w in np.random.default_rng(0).normal(size=(5, 2)):
        np.testing.assert_allclose(
            function.grad(w),
            finite_difference_grad(function, w),
            rtol=1e-6,
            atol=1e-6,
        )


def test_quadratic_properties():
    q = Quadratic((2.0, 50.0), angle=0.3, minimum=(1.0, 1.0))
    assert q.largest_curvature == 50.0 and q.condition_number == 25.0
    np.testing.assert_allclose(np.linalg.eigvalsh(q.hessian), [2.0, 50.0])
    assert q(np.array([1.0, 1.0])) == 0.0
    grid = np.zeros((4, 3, 2))
    assert q(grid).shape == (4, 3) and q.grad(grid).shape == (4, 3, 2)


def test_rosenbrock_minimum():
    r = Rosenbrock(a=2.0)
    assert r.minimum == (2.0, 4.0) and r(np.array(r.minimum)) == 0.0
    np.testing.assert_allclose(r.grad(np.array(r.minimum)), 0.0)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match=r"curvatures\[0\] must be > 0"):
        Quadratic((0.0, 1.0))
    with pytest.raises(ValueError, match=r"curvatures must have shape \(2,\)"):
        Quadratic((1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match=r"w must have shape \(\.\.\., 2\)"):
        Rosenbrock()(np.zeros(3))


def test_plot_trajectories_draws_each_path():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    paths = {
        "a": np.array([[1.0, 1.0], [0.5, 0.2], [0.0, 0.0]]),
        "b": np.array([[-1.0, 1.0], [0.0, 0.0]]),
    }
    plot_trajectories(ax, Quadratic(), paths, xlim=(-2, 2), ylim=(-2, 2))
    labels = [line.get_label() for line in ax.get_lines()]
    assert {"a", "b"} <= set(labels)
    with pytest.raises(ValueError, match="trajectory 'c'"):
        plot_trajectories(
            ax,
            Rosenbrock(),
            {"c": np.zeros((2, 2, 2))},
            xlim=(-2, 2),
            ylim=(-1, 3),
            log_levels=True,
        )
    plt.close(fig)
