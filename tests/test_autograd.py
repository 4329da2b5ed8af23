"""Tests of the autograd engines (mlcourse.reference.autograd_scalar, mlcourse.reference.autograd) against PyTorch.

Property-style without extra dependencies: seeded NumPy loops draw random
shapes (with broadcasting) and random compositions of operations, evaluate each
one in the engine and in PyTorch in float64, and compare values and gradients.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import mlcourse as mc
from mlcourse.reference.autograd import Tensor, softmax_cross_entropy, unbroadcast
from mlcourse.reference.autograd_scalar import Scalar, topological_order

# Both sides compute in float64; the engine writes some operations differently
# (a / b as a * b**-1, sigmoid as e^x / (1 + e^x) for x < 0), so results differ
# by a few round-offs per operation, far below this tolerance.
RTOL, ATOL = 1e-10, 1e-12


def assert_close(ours, theirs):
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------------------
# Random programs: a list of instructions, each adding one value computed from
# earlier ones. The same program runs on engine Tensors and on torch tensors.
# ---------------------------------------------------------------------------
UNARY = {
    "exp": lambda v: (
        v.tanh() * 3.0
    ).exp(),  # bounded exponent: no overflow in deep compositions
    "log": lambda v: (v * v + 0.5).log(),  # positive argument
    "tanh": lambda v: v.tanh(),
    "sigmoid": lambda v: v.sigmoid(),
    "relu": lambda v: v.relu(),
    "neg": lambda v: -v,
    "square": lambda v: v**2,
    "pow1.5": lambda v: (v * v + 0.1) ** 1.5,
    "rsub": lambda v: 1.0 - v,
    "scale": lambda v: 2.5 * v,
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 0.5),  # denominator away from 0
    "rdiv": lambda a, b: 1.0 / (a * a + 1.0) + b,
}


def reduce(v, kind, axis, keepdims):
    """sum or mean over `axis` for either library (torch spells the arguments differently)."""
    if isinstance(v, torch.Tensor):
        if axis is None:
            return getattr(v, kind)().reshape((1,) * v.ndim if keepdims else ())
        return getattr(v, kind)(dim=axis, keepdim=keepdims)
    return getattr(v, kind)(axis=axis, keepdims=keepdims)


def broadcast_compatible_shape(rng, base):
    """A shape that broadcasts against `base`: some leading axes dropped, some axes set to 1."""
    shape = list(base[rng.integers(0, len(base) + 1) :]) if base else []
    return tuple(1 if rng.random() < 0.3 else size for size in shape)


def random_program(rng):
    """Random leaves (shapes that broadcast together) and a random list of instructions."""
    base = tuple(int(s) for s in rng.integers(1, 5, size=rng.integers(0, 4)))
    leaves = [
        rng.normal(size=broadcast_compatible_shape(rng, base))
        for _ in range(rng.integers(1, 4))
    ]
    shapes = [leaf.shape for leaf in leaves]
    program = []
    for _ in range(rng.integers(1, 9)):
        i = int(rng.integers(len(shapes)))
        kind = rng.choice(["unary", "binary", "reduce"], p=[0.4, 0.45, 0.15])
        if kind == "unary":
            program.append(("unary", str(rng.choice(list(UNARY))), i))
            shapes.append(shapes[i])
        elif kind == "binary":
            partners = [
                j for j, s in enumerate(shapes) if _broadcasts(shapes[i], s)
            ]
            j = int(rng.choice(partners))
            program.append(("binary", str(rng.choice(list(BINARY))), i, j))
            shapes.append(np.broadcast_shapes(shapes[i], shapes[j]))
        else:
            ndim = len(shapes[i])
            axis = (
                None if ndim == 0 or rng.random() < 0.3 else int(rng.integers(ndim))
            )
            keepdims = bool(rng.random() < 0.5)
            program.append(
                ("reduce", str(rng.choice(["sum", "mean"])), i, axis, keepdims)
            )
            shapes.append(
                np.empty(shapes[i]).sum(axis=axis, keepdims=keepdims).shape
            )
    return leaves, program


def _broadcasts(a, b):
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def run_program(values, program):
    values = list(values)
    for instruction in program:
        kind, name, i = instruction[:3]
        if kind == "unary":
            values.append(UNARY[name](values[i]))
        elif kind == "binary":
            values.append(BINARY[name](values[i], values[instruction[3]]))
        else:
            values.append(reduce(values[i], name, *instruction[3:]))
    return values[-1]


@pytest.mark.parametrize("seed", range(200))
def test_random_expressions_match_torch(seed):
    rng = np.random.default_rng(seed)
    leaves, program = random_program(rng)
    ours = [Tensor(leaf, requires_grad=True) for leaf in leaves]
    theirs = [torch.tensor(leaf, requires_grad=True) for leaf in leaves]
    out_ours, out_theirs = run_program(ours, program), run_program(theirs, program)
    assert out_ours.shape == tuple(out_theirs.shape)
    assert_close(out_ours.data, out_theirs)
    if seed % 2:  # a scalar loss...
        out_ours.sum().backward()
        out_theirs.sum().backward()
    else:  # ...or a non-scalar output with an upstream gradient
        upstream = rng.normal(size=out_ours.shape)
        out_ours.backward(upstream)
        out_theirs.backward(torch.tensor(upstream))
    for leaf_ours, leaf_theirs in zip(ours, theirs):
        if leaf_theirs.grad is None:  # the program never used this leaf
            assert leaf_ours.grad is None
        else:
            assert leaf_ours.grad.shape == leaf_ours.shape
            assert_close(leaf_ours.grad, leaf_theirs.grad)


@pytest.mark.parametrize("seed", range(50))
def test_random_scalar_expressions_match_torch(seed):
    rng = np.random.default_rng(1000 + seed)
    _, program = random_program(rng)
    program = [p for p in program if p[0] != "reduce"]  # no axes for single numbers
    n_leaves = (
        max(
            [p[2] for p in program]
            + [p[3] for p in program if p[0] == "binary"]
            + [0]
        )
        + 1
    )
    numbers = [float(v) for v in rng.normal(size=n_leaves)]
    ours = [Scalar(v) for v in numbers]
    theirs = [
        torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in numbers
    ]
    out_ours, out_theirs = run_program(ours, program), run_program(theirs, program)
    if not isinstance(
        out_ours, Scalar
    ):  # an empty program: the output is a leaf itself
        return
    assert math.isclose(
        out_ours.value, out_theirs.item(), rel_tol=RTOL, abs_tol=ATOL
    )
    out_ours.backward()
    out_theirs.backward()
    for leaf_ours, leaf_theirs in zip(ours, theirs):
        expected = 0.0 if leaf_theirs.grad is None else leaf_theirs.grad.item()
        assert math.isclose(leaf_ours.grad, expected, rel_tol=RTOL, abs_tol=ATOL)


@pytest.mark.parametrize("seed", range(30))
def test_matmul_with_bias_matches_torch(seed):
    rng = np.random.default_rng(seed)
    n, d, h = (int(s) for s in rng.integers(1, 7, size=3))
    x, w, b = (
        rng.normal(size=(n, d)),
        rng.normal(size=(d, h)),
        rng.normal(size=(h,)),
    )
    ours = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    ((ours[0] @ ours[1] + ours[2]).tanh().mean()).backward()
    ((theirs[0] @ theirs[1] + theirs[2]).tanh().mean()).backward()
    for a, t in zip(ours, theirs):
        assert_close(a.grad, t.grad)


@pytest.mark.parametrize("seed", range(30))
def test_softmax_cross_entropy_matches_torch_and_mc_losses(seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(1, 9)), int(rng.integers(2, 7))
    logits, labels = rng.normal(size=(n, k)) * 5, rng.integers(0, k, size=n)
    ours, theirs = (
        Tensor(logits, requires_grad=True),
        torch.tensor(logits, requires_grad=True),
    )
    loss = softmax_cross_entropy(ours, labels)
    torch_loss = F.cross_entropy(theirs, torch.tensor(labels))
    assert_close(loss.data, torch_loss)
    assert math.isclose(
        loss.item(), mc.losses.cross_entropy(logits, labels), rel_tol=1e-14
    )
    loss.backward()
    torch_loss.backward()
    assert_close(ours.grad, theirs.grad)


def test_two_layer_mlp_matches_torch():
    rng = np.random.default_rng(0)
    x, labels = rng.normal(size=(16, 8)), rng.integers(0, 3, size=16)
    shapes = [(8, 5), (5,), (5, 3), (3,)]
    params = [rng.normal(size=s) for s in shapes]
    ours = [Tensor(p, requires_grad=True) for p in params]
    theirs = [torch.tensor(p, requires_grad=True) for p in params]
    w1, b1, w2, b2 = ours
    softmax_cross_entropy((Tensor(x) @ w1 + b1).relu() @ w2 + b2, labels).backward()
    tw1, tb1, tw2, tb2 = theirs
    F.cross_entropy(
        (torch.tensor(x) @ tw1 + tb1).relu() @ tw2 + tb2, torch.tensor(labels)
    ).backward()
    for a, t in zip(ours, theirs):
        assert_close(a.grad, t.grad)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    logits = Tensor(np.array([[1000.0, 0.0, -1000.0]]), requires_grad=True)
    loss = softmax_cross_entropy(logits, np.array([1]))
    loss.backward()
    assert math.isclose(loss.item(), 1000.0)
    np.testing.assert_allclose(logits.grad, [[1.0, -1.0, 0.0]], atol=1e-300)


def test_unbroadcast_sums_the_copies():
    grad = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(unbroadcast(grad, (4,)), grad.sum(axis=(0, 1)))
    np.testing.assert_array_equal(
        unbroadcast(grad, (3, 1)), grad.sum(axis=(0, 2))[:, None]
    )
    np.testing.assert_array_equal(
        unbroadcast(grad, (1, 3, 4)), grad.sum(axis=0, keepdims=True)
    )
    assert unbroadcast(grad, ()).shape == ()
    np.testing.assert_array_equal(unbroadcast(grad, grad.shape), grad)


@pytest.mark.parametrize("axis", [(0, 2), -1, (-3, -1), None])
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_and_mean_over_several_or_negative_axes_match_torch(axis, keepdims):
    values = np.random.default_rng(0).normal(size=(2, 3, 4))
    for kind in ["sum", "mean"]:
        ours, theirs = (
            Tensor(values, requires_grad=True),
            torch.tensor(values, requires_grad=True),
        )
        out_ours, out_theirs = (
            reduce(ours, kind, axis, keepdims),
            reduce(theirs, kind, axis, keepdims),
        )
        assert out_ours.shape == tuple(out_theirs.shape)
        upstream = np.arange(1.0, out_ours.data.size + 1).reshape(out_ours.shape)
        out_ours.backward(upstream)
        out_theirs.backward(torch.tensor(upstream))
        assert_close(ours.grad, theirs.grad)


def test_bias_gradient_is_summed_over_the_batch():
    b = Tensor(np.zeros(3), requires_grad=True)
    (Tensor(np.ones((5, 3))) + b).sum().backward()
    np.testing.assert_array_equal(b.grad, [5.0, 5.0, 5.0])


def test_topological_order_lists_parents_first_and_each_node_once():
    x = Scalar(1.5)
    a, b = x * 2.0, x.exp()  # x is used twice: a diamond
    out = a * b + a
    order = topological_order(out)
    assert order[-1] is out and len(order) == len({id(n) for n in order})
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        assert all(position[id(p)] < position[id(node)] for p in node._parents)


def test_reused_value_gets_the_sum_of_its_gradients():
    x = Scalar(3.0)
    (x * x + x).backward()  # d/dx (x^2 + x) = 2x + 1
    assert x.grad == 7.0
    t = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    (t * t * t).sum().backward()  # 3 t^2
    np.testing.assert_array_equal(t.grad, [3.0, 12.0])


def test_leaf_gradients_accumulate_and_intermediate_ones_do_not():
    x = Scalar(2.0)
    y = x.tanh() * x  # one graph, differentiated twice
    y.backward()
    first = x.grad
    y.backward()
    assert x.grad == pytest.approx(
        2 * first, rel=1e-15
    )  # like torch with retain_graph=True
    w = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    loss = (w.sigmoid() * w).sum()
    loss.backward()
    once = w.grad.copy()
    loss.backward()
    np.testing.assert_allclose(w.grad, 2 * once, rtol=1e-15)


def test_detach_and_constants_get_no_gradient():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    data = Tensor(np.array([3.0, 4.0]))
    (
        w * w.detach() + data * w
    ).sum().backward()  # only the first factor w is differentiated
    np.testing.assert_array_equal(w.grad, [1.0 + 3.0, 2.0 + 4.0])
    assert data.grad is None
    assert (data * 2.0)._parents == ()  # no graph is built for constants


def test_float32_stays_float32_and_integers_become_float64():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = (x * 0.1 + 1).tanh().mean()
    y.backward()
    assert y.data.dtype == np.float32 and x.grad.dtype == np.float32
    assert Tensor([1, 2]).data.dtype == np.float64


def test_numpy_array_on_the_left_defers_to_the_tensor():
    w = Tensor(np.ones(3), requires_grad=True)
    out = np.arange(3.0) * w + np.ones(3)
    assert isinstance(out, Tensor)
    out.sum().backward()
    np.testing.assert_array_equal(w.grad, [0.0, 1.0, 2.0])


def test_long_chains_do_not_hit_the_recursion_limit():
    x = Scalar(1.0)
    total = x
    for _ in range(5000):
        total = total + x
    total.backward()
    assert x.grad == 5001.0
    t = Tensor(np.ones(2), requires_grad=True)
    s = t
    for _ in range(5000):
        s = s * 1.0
    s.sum().backward()
    np.testing.assert_array_equal(t.grad, [1.0, 1.0])


def test_tensor_data_is_copied():
    array = np.zeros(2)
    t = Tensor(array)
    t.data += 1.0
    assert array.sum() == 0.0


@pytest.mark.parametrize(
    "make_error, error, message",
    [
        (
            lambda: Tensor(np.ones((3, 4))) + Tensor(np.ones(5)),
            ValueError,
            "do not broadcast",
        ),
        (
            lambda: Tensor(np.ones((3, 4))) * np.ones((2, 4)),
            ValueError,
            "do not broadcast",
        ),
        (
            lambda: Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2))),
            ValueError,
            "inner dimensions",
        ),
        (lambda: Tensor(np.ones(3)) @ Tensor(np.ones(3)), ValueError, "2-D"),
        (
            lambda: (
                Tensor(np.ones(2), requires_grad=True).sum().backward(np.ones(2))
            ),
            ValueError,
            "shape",
        ),
        (
            lambda: (Tensor(np.ones(2), requires_grad=True) * 2).backward(),
            ValueError,
            r"backward\(\) on shape \(2,\) needs grad=",
        ),
        (
            lambda: Tensor(np.ones(2)).sum().backward(),
            ValueError,
            "does not require grad",
        ),
        (lambda: Tensor(np.array([1.0, -1.0])).log(), ValueError, "entries <= 0"),
        (
            lambda: Tensor(np.ones(2)) ** Tensor(np.ones(2)),
            TypeError,
            "constant exponent",
        ),
        (
            lambda: Tensor(["a", "b"]),
            TypeError,
            "data must be an array of real numbers",
        ),
        (
            lambda: Tensor(np.ones(2)) + [1.0, 2.0],
            TypeError,
            "combines with numbers",
        ),
        (
            lambda: softmax_cross_entropy(np.ones((2, 3)), np.array([0, 1])),
            TypeError,
            "Tensor",
        ),
        (
            lambda: softmax_cross_entropy(Tensor(np.ones(3)), np.array([0])),
            ValueError,
            "logits must have 2 dimension",
        ),
        (
            lambda: softmax_cross_entropy(
                Tensor(np.ones((2, 3))), np.array([0, 1, 2])
            ),
            ValueError,
            r"labels must have shape \(2,\)",
        ),
        (
            lambda: softmax_cross_entropy(
                Tensor(np.ones((2, 3))), np.array([0.0, 1.0])
            ),
            TypeError,
            "labels must be an array of integer numbers",
        ),
        (
            lambda: softmax_cross_entropy(
                Tensor(np.ones((2, 3))), np.array([0, 3])
            ),
            ValueError,
            "lie in",
        ),
        (lambda: Scalar("1.0"), TypeError, "value must be a real number"),
        (lambda: Scalar(2.0) ** Scalar(2.0), TypeError, "constant exponent"),
        (lambda: Scalar(-1.0).log(), ValueError, "needs a positive number"),
    ],
)
def test_bad_input_gives_a_clear_error(make_error, error, message):
    with pytest.raises(error, match=message):
        make_error()


# ---------------------------------------------------------------------------
# Numerics at the edges: both engines against PyTorch float64.
# ---------------------------------------------------------------------------
TINY = np.finfo(np.float64).tiny  # the smallest normal float64, 2.2e-308
# Round-off: a few units in the last place (2.2e-16 relative) per operation.
ULPS = 4 * np.finfo(np.float64).eps
SIGMOID_GRID = np.concatenate(
    [
        -np.geomspace(1e-8, 745.0, 2000),
        [-709.0, -50.0, -40.0, -36.0, -30.0, 0.0, 30.0, 36.0, 40.0],
        np.geomspace(1e-8, 800.0, 2000),
    ]
)


def test_sigmoid_matches_torch_on_both_tails_in_both_engines():
    x_torch = torch.tensor(SIGMOID_GRID, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(x_torch).sum().backward()
    expected = torch.sigmoid(x_torch).detach().numpy()
    x = Tensor(SIGMOID_GRID, requires_grad=True)
    x.sigmoid().sum().backward()
    scalars = [Scalar(v) for v in SIGMOID_GRID]
    outs = [v.sigmoid() for v in scalars]
    for out in outs:
        out.backward()
    for values, grads in [
        (x.sigmoid().data, x.grad),
        (np.array([o.value for o in outs]), np.array([v.grad for v in scalars])),
    ]:
        # Relative round-off wherever PyTorch's result is a normal float64;
        # below 2.2e-308 (x < -708) PyTorch flushes to 0 where e^x / (1 + e^x)
        # still holds a subnormal: equal to within TINY.
        np.testing.assert_allclose(values, expected, rtol=ULPS, atol=TINY)
        # s (1 - s), as PyTorch computes it, adds the round-off of 1 - s.
        np.testing.assert_allclose(
            grads, x_torch.grad.numpy(), rtol=2 * ULPS, atol=TINY
        )
    # The values the tanh formula got wrong (relative 4e-2 at -36, 0 at -40).
    for v in (-30.0, -36.0, -40.0, -50.0):
        exact = math.exp(v) / (1.0 + math.exp(v))
        assert Scalar(v).sigmoid().value == pytest.approx(exact, rel=ULPS)
        assert Tensor(v).sigmoid().item() == pytest.approx(exact, rel=ULPS)
    assert math.isfinite(Scalar(-50.0).sigmoid().log().value)


def test_sigmoid_propagates_nan_and_saturates_at_infinity():
    values = Tensor(np.array([np.nan, np.inf, -np.inf])).sigmoid().data
    np.testing.assert_array_equal(values, [np.nan, 1.0, 0.0])
    assert math.isnan(Scalar(math.nan).sigmoid().value)
    assert Scalar(math.inf).sigmoid().value == 1.0
    assert Scalar(-math.inf).sigmoid().value == 0.0


def torch_value_and_grad(x, f):
    """f(x) and df/dx in PyTorch float64, for one number."""
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = f(t)
    out.backward()
    return out.item(), t.grad.item()


def engine_value_and_grad(engine, x, f):
    if engine == "scalar":
        v = Scalar(x)
        out = f(v)
        out.backward()
        return out.value, v.grad
    v = Tensor(np.array(x), requires_grad=True)
    out = f(v)
    out.backward()
    return out.item(), float(v.grad)


EDGE_CASES = [  # (function, x): IEEE values where Python would raise
    (lambda v: v**0, 0.0),
    (lambda v: v**0, 2.0),
    (lambda v: v**-1, 0.0),
    (lambda v: v**-1, -0.0),
    (lambda v: v**0.5, 0.0),
    (lambda v: v**0.5, -8.0),
    (lambda v: v**-2, 0.0),
    (lambda v: v**3, 1e200),
    (lambda v: v.exp(), 1000.0),
    (lambda v: v.exp(), -1000.0),
    (lambda v: 1.0 / v, 0.0),
    (lambda v: v / 0.0, 1.0),
    (lambda v: v.tanh(), 1000.0),
]


@pytest.mark.parametrize("engine", ["scalar", "array"])
@pytest.mark.parametrize("case", range(len(EDGE_CASES)))
def test_ieee_edge_cases_match_torch_silently(engine, case, recwarn):
    f, x = EDGE_CASES[case]
    ours = engine_value_and_grad(engine, x, f)
    theirs = torch_value_and_grad(x, f)
    np.testing.assert_array_equal(ours, theirs)  # inf, -inf and NaN included
    assert len(recwarn) == 0  # no NumPy RuntimeWarning either, as in PyTorch


def test_log_of_zero_or_less_is_an_error_in_both_engines_and_nan_passes():
    for bad in (0.0, -1.0, -math.inf):
        with pytest.raises(ValueError, match="needs a positive number"):
            Scalar(bad).log()
        with pytest.raises(ValueError, match="needs positive numbers"):
            Tensor(np.array([1.0, bad])).log()
    assert math.isnan(Scalar(math.nan).log().value)
    assert np.isnan(Tensor(np.array([math.nan])).log().data).all()


@pytest.mark.parametrize(
    "shape, axis", [((0,), None), ((0, 3), 0), ((0, 3), 1), ((2, 0), 1)]
)
def test_mean_of_no_entries_is_nan_as_in_torch(shape, axis):
    x = Tensor(np.zeros(shape), requires_grad=True)
    out = x.mean(axis=axis)
    xt = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
    out_t = xt.mean() if axis is None else xt.mean(dim=axis)
    np.testing.assert_array_equal(out.data, out_t.detach().numpy())
    out.sum().backward()
    out_t.sum().backward()
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())


def test_scalar_data_is_micrographs_name_for_value():
    a = Scalar(-4.0)
    b = Scalar(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    # micrograd's README example, which prints 24.7041, 138.8338 and 645.5773
    assert abs(g.data - 24.70408163265306) < 1e-6
    assert abs(a.grad - 138.83381924198252) < 1e-6
    assert abs(b.grad - 645.5772594752186) < 1e-6
    a.data = 1.5
    assert a.value == 1.5 and a.data == 1.5
    with pytest.raises(TypeError, match="data must be a real number"):
        a.data = "1.5"
