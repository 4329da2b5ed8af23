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
# (a / b as a * b**-1, sigmoid through tanh), so results differ by a few
# round-offs per operation, far below this tolerance.
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
            "non-scalar",
        ),
        (
            lambda: Tensor(np.ones(2)).sum().backward(),
            ValueError,
            "does not require grad",
        ),
        (lambda: Tensor(np.array([1.0, -1.0])).log(), ValueError, "non-positive"),
        (
            lambda: Tensor(np.ones(2)) ** Tensor(np.ones(2)),
            TypeError,
            "constant exponent",
        ),
        (lambda: Tensor(["a", "b"]), TypeError, "real numbers"),
        (lambda: Tensor(np.ones(2)) + [1.0, 2.0], TypeError, "cannot combine"),
        (
            lambda: softmax_cross_entropy(np.ones((2, 3)), np.array([0, 1])),
            TypeError,
            "Tensor",
        ),
        (
            lambda: softmax_cross_entropy(Tensor(np.ones(3)), np.array([0])),
            ValueError,
            "batch, classes",
        ),
        (
            lambda: softmax_cross_entropy(
                Tensor(np.ones((2, 3))), np.array([0, 1, 2])
            ),
            ValueError,
            "2 integer",
        ),
        (
            lambda: softmax_cross_entropy(
                Tensor(np.ones((2, 3))), np.array([0.0, 1.0])
            ),
            ValueError,
            "integer",
        ),
        (
            lambda: softmax_cross_entropy(
                Tensor(np.ones((2, 3))), np.array([0, 3])
            ),
            ValueError,
            "lie in",
        ),
        (lambda: Scalar("1.0"), TypeError, "real number"),
        (lambda: Scalar(2.0) ** Scalar(2.0), TypeError, "constant exponent"),
        (lambda: Scalar(-1.0).log(), ValueError, "non-positive"),
    ],
)
def test_bad_input_gives_a_clear_error(make_error, error, message):
    with pytest.raises(error, match=message):
        make_error()
