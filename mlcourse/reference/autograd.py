"""Reverse-mode automatic differentiation on arrays (chapter "Backpropagation").

The scalar engine of :mod:`mlcourse.reference.autograd_scalar`, with NumPy
arrays in place of numbers and just the operations a multilayer perceptron
needs: ``+ - * / **``, ``@``, ``sum``, ``mean``, ``exp``, ``log``, ``tanh``,
``sigmoid``, ``relu`` and :func:`softmax_cross_entropy`. Elementwise
operations broadcast as NumPy does; the gradient of a broadcast input is
summed back to the input's shape (:func:`unbroadcast`).

Each operation builds its result with :meth:`Tensor.from_op` and attaches a
closure that sends the result's gradient to its inputs through
:meth:`Tensor.add_to_grad`. :meth:`Tensor.backward` runs the closures in
reverse topological order. As in PyTorch, gradients of leaves accumulate over
calls to ``backward`` (set ``.grad = None`` between steps); tensors created with
``requires_grad=False`` (data, constants) get no gradient and no graph.

Values follow IEEE 754 as PyTorch's do, silently: ``exp`` overflows to inf,
``x ** -1`` at 0 is inf, ``x ** 0.5`` has an infinite slope at 0, NaN
propagates. One exception, on purpose: :meth:`Tensor.log` of zero or a
negative entry is an error (PyTorch gives -inf or NaN), because in a network
it is a bug, best reported where it happens.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from mlcourse.reference.autograd_scalar import topological_order
from mlcourse.reference.losses import check_logits_and_labels, log_softmax
from mlcourse.validation import (
    check_array,
    check_bool,
    check_int,
    check_number,
    check_sequence,
    check_type,
    describe,
)


def _check_shape(shape) -> tuple[int, ...]:
    """`shape` as a tuple of non-negative integers."""
    sizes = check_sequence("shape", shape, what="sizes")
    return tuple(check_int(f"shape[{i}]", n, low=0) for i, n in enumerate(sizes))


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` down to `shape`, the shape of an input that was broadcast.

    An input that broadcasting copied gets the sum of the copies' gradients.
    `shape` must broadcast to ``grad.shape``; anything else is an error.
    """
    grad, shape = check_array("grad", grad, finite=False), _check_shape(shape)
    if len(shape) > grad.ndim or any(
        size not in (1, out) for size, out in zip(shape[::-1], grad.shape[::-1])
    ):
        raise ValueError(
            f"shape {shape} does not broadcast to the gradient's shape {grad.shape}"
        )
    while grad.ndim > len(shape):  # axes that broadcasting added in front
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):  # axes of length 1 that were stretched
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class Tensor:
    """A NumPy array that records the operations applied to it, for backprop.

    `data` (an array or anything ``np.array`` accepts: numbers, nested lists)
    is copied; booleans and integers become float64, floating types are kept;
    NaN and infinities are allowed, as in PyTorch. After ``loss.backward()``,
    ``.grad`` holds d(loss)/d(tensor), same shape as ``.data``.
    """

    # `array * tensor` calls Tensor.__rmul__ instead of looping in NumPy
    __array_ufunc__ = None

    def __init__(self, data, requires_grad: bool = False):
        array = np.array(check_array("data", data, finite=False))
        if array.dtype.kind in "biu":
            array = array.astype(np.float64)
        self.data = array
        self.requires_grad = check_bool("requires_grad", requires_grad)
        self.grad: np.ndarray | None = None
        self._parents: tuple[Tensor, ...] = ()
        self._backward = lambda: None  # a leaf passes nothing on
        self._op = ""

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``.data`` (and of ``.grad``)."""
        return self.data.shape

    def __repr__(self) -> str:
        op = f", op={self._op}" if self._op else ""
        return (
            f"Tensor(shape={self.shape}, dtype={self.data.dtype}, "
            f"requires_grad={self.requires_grad}{op})"
        )

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a tensor of one element, got shape {self.shape}"
            )
        return self.data.item()

    def detach(self) -> Tensor:
        """The same values as a new leaf without gradient (none flows through)."""
        return Tensor(self.data)

    # -- the two building blocks of every operation -----------------------------
    @staticmethod
    def from_op(data: np.ndarray, parents: tuple[Tensor, ...], op: str) -> Tensor:
        """The result of operation `op` on `parents`.

        It joins the graph (records its parents) if a parent needs a gradient.
        """
        parents = check_sequence("parents", parents, of=Tensor, what="Tensors")
        check_type("op", op, str, "the operation's name (a string)")
        needs_grad = tuple(p for p in parents if p.requires_grad)
        out = Tensor(data, requires_grad=bool(needs_grad))
        out._parents, out._op = needs_grad, op
        return out

    def add_to_grad(self, grad: np.ndarray) -> None:
        """Add `grad` (this tensor's shape, or broadcast from it) to ``.grad``."""
        if not self.requires_grad:
            return
        grad = unbroadcast(np.asarray(grad), self.shape).astype(
            self.data.dtype, copy=False
        )
        self.grad = grad.copy() if self.grad is None else self.grad + grad

    # -- elementwise operations with broadcasting -------------------------------
    def __add__(self, other) -> Tensor:
        other = _broadcastable(other, self, "+")
        out = Tensor.from_op(self.data + other.data, (self, other), "+")

        def _backward():
            self.add_to_grad(out.grad)
            other.add_to_grad(out.grad)

        out._backward = _backward
        return out

    def __mul__(self, other) -> Tensor:
        other = _broadcastable(other, self, "*")
        out = Tensor.from_op(self.data * other.data, (self, other), "*")

        def _backward():
            self.add_to_grad(out.grad * other.data)
            other.add_to_grad(out.grad * self.data)

        out._backward = _backward
        return out

    def __pow__(self, exponent: float) -> Tensor:
        """``x ** p`` for a constant number `p`; IEEE results (inf, NaN) at 0."""
        if isinstance(exponent, (Tensor, np.ndarray)):
            raise TypeError(
                "only a constant exponent is supported: x ** 2, not x ** y"
            )
        exponent = check_number("exponent", exponent)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            value = self.data**exponent
        out = Tensor.from_op(value, (self,), f"**{exponent:g}")

        def _backward():  # d(x^p)/dx = p x^(p-1); 0 for p = 0, as in PyTorch
            if exponent == 0:
                self.add_to_grad(np.zeros_like(self.data))
                return
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                slope = exponent * self.data ** (exponent - 1)
            self.add_to_grad(out.grad * slope)

        out._backward = _backward
        return out

    def _unary(
        self, value: np.ndarray, local_derivative: np.ndarray, op: str
    ) -> Tensor:
        """An elementwise function with slope `local_derivative` at each entry."""
        out = Tensor.from_op(value, (self,), op)

        def _backward():
            self.add_to_grad(out.grad * local_derivative)

        out._backward = _backward
        return out

    def exp(self) -> Tensor:
        """Elementwise e**x (inf where it overflows, as in PyTorch)."""
        with np.errstate(over="ignore"):
            e = np.exp(self.data)
        return self._unary(e, e, "exp")

    def log(self) -> Tensor:
        """Elementwise natural logarithm; an entry of 0 or less is an error."""
        if np.any(self.data <= 0):
            raise ValueError(
                f"log of {np.count_nonzero(self.data <= 0)} entries <= 0: the "
                "logarithm needs positive numbers (PyTorch would give -inf or NaN)"
            )
        return self._unary(np.log(self.data), 1.0 / self.data, "log")

    def tanh(self) -> Tensor:
        """Elementwise hyperbolic tangent."""
        t = np.tanh(self.data)
        return self._unary(t, 1.0 - t * t, "tanh")

    def sigmoid(self) -> Tensor:
        """Elementwise logistic function 1 / (1 + e**-x), accurate on both tails.

        The exponential is always of -|x|, so it never overflows, and for
        negative x the result e**x / (1 + e**x) keeps its relative precision
        (1 - tanh, or 1 / (1 + e**-x) at large -x, would round it to 0).
        """
        e = np.exp(-np.abs(self.data))
        s = np.where(self.data >= 0, 1.0, e) / (1.0 + e)
        return self._unary(s, s * (1.0 - s), "sigmoid")

    def relu(self) -> Tensor:
        """Elementwise max(x, 0); its derivative at 0 is 0, as in the frameworks."""
        return self._unary(
            np.maximum(self.data, 0),
            (self.data > 0).astype(self.data.dtype),
            "relu",
        )

    # -- matrix product and reductions ------------------------------------------
    def __matmul__(self, other) -> Tensor:
        other = _lift(other, like=self)
        if self.data.ndim != 2 or other.data.ndim != 2:
            raise ValueError(
                "matmul needs two 2-D arrays, "
                f"got shapes {self.shape} @ {other.shape}"
            )
        if self.shape[1] != other.shape[0]:
            raise ValueError(
                f"matmul: inner dimensions differ, {self.shape} @ {other.shape}"
            )
        out = Tensor.from_op(self.data @ other.data, (self, other), "@")

        def _backward():  # C = AB: dA = dC B^T, dB = A^T dC
            self.add_to_grad(out.grad @ other.data.T)
            other.add_to_grad(self.data.T @ out.grad)

        out._backward = _backward
        return out

    def sum(
        self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
    ) -> Tensor:
        """Sum over `axis` (all axes by default), as ``np.sum``."""
        axis = _check_axis(axis, self.data.ndim)
        keepdims = check_bool("keepdims", keepdims)
        out = Tensor.from_op(
            self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum"
        )

        def _backward():  # every summed entry gets the gradient of the sum
            grad = (
                out.grad
                if keepdims or axis is None
                else np.expand_dims(out.grad, axis)
            )
            self.add_to_grad(np.broadcast_to(grad, self.shape))

        out._backward = _backward
        return out

    def mean(
        self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
    ) -> Tensor:
        """Mean over `axis` (all axes by default), as ``np.mean``.

        The mean of no entries is NaN, as in PyTorch.
        """
        total = self.sum(axis=axis, keepdims=keepdims)
        count = self.data.size // max(total.data.size, 1)  # entries per mean
        return total * (1.0 / count if count else np.nan)

    def backward(self, grad=None) -> None:
        """Fill in ``.grad`` of every tensor this one depends on (chain rule).

        From a one-element tensor (a loss) `grad` may be left out:
        d(loss)/d(loss) = 1. From any other tensor, pass `grad`, the gradient
        of some scalar with respect to it (this tensor's shape).
        """
        if not self.requires_grad:
            raise ValueError(
                "backward() on a tensor that does not require grad: no input of it "
                "was created with requires_grad=True (or it was detached)"
            )
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward() on shape {self.shape} needs grad=, "
                    "or a .sum() or .mean() first"
                )
            grad = np.ones_like(self.data)
        grad = check_array("grad", grad, finite=False).astype(self.data.dtype)
        if grad.shape != self.shape:
            raise ValueError(
                f"grad has shape {grad.shape}, "
                f"but the tensor has shape {self.shape}"
            )
        order = topological_order(self)
        for node in order:
            if node._parents:  # intermediate tensors start from zero on every call
                node.grad = None
        self.add_to_grad(grad)
        for node in reversed(order):  # each tensor after every tensor that uses it
            node._backward()

    # -- the rest, through the operations above ---------------------------------
    def __neg__(self) -> Tensor:
        return self * -1.0

    def __sub__(self, other) -> Tensor:
        return self + (-_lift(other, like=self))

    def __truediv__(self, other) -> Tensor:
        return self * _lift(other, like=self) ** -1.0

    def __radd__(self, other) -> Tensor:
        return self + other

    def __rmul__(self, other) -> Tensor:
        return self * other

    def __rsub__(self, other) -> Tensor:
        return _lift(other, like=self) - self

    def __rtruediv__(self, other) -> Tensor:
        return _lift(other, like=self) / self

    def __rmatmul__(self, other) -> Tensor:
        return _lift(other, like=self) @ self


def softmax_cross_entropy(logits: Tensor, labels: np.ndarray) -> Tensor:
    """Mean cross-entropy of `logits` ``(n, K)`` against integer `labels` ``(n,)``.

    Stable for any logits: the value uses
    :func:`mlcourse.reference.losses.log_softmax`; the gradient with respect
    to the logits is ``(softmax(logits) - onehot(labels)) / n``. Accepts the
    inputs :func:`mlcourse.reference.losses.cross_entropy` accepts.
    """
    check_type("logits", logits, Tensor)
    _, labels = check_logits_and_labels(logits.data, labels)
    n = len(labels)
    log_p = log_softmax(logits.data).astype(logits.data.dtype, copy=False)
    rows = np.arange(n)
    out = Tensor.from_op(-log_p[rows, labels].mean(), (logits,), "cross_entropy")

    def _backward():
        grad = np.exp(log_p)  # softmax
        grad[rows, labels] -= 1.0
        logits.add_to_grad(out.grad * grad / n)

    out._backward = _backward
    return out


def _lift(x, like: Tensor) -> Tensor:
    """`x` as a Tensor; a plain number takes the dtype of `like`.

    So ``2.0 * x`` stays float32 when `x` is float32.
    """
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Real) and not isinstance(x, bool):
        return Tensor(np.asarray(x, dtype=like.data.dtype))
    if isinstance(x, np.ndarray):
        return Tensor(x)
    raise TypeError(
        "a Tensor combines with numbers, NumPy arrays and Tensors, "
        f"not {describe(x)}"
    )


def _check_axis(axis, ndim: int) -> int | tuple[int, ...] | None:
    """`axis` of a reduction: None, an axis, or a tuple of distinct axes."""
    if axis is None:
        return None
    if isinstance(axis, tuple):
        axes = tuple(
            check_int(f"axis[{i}]", a, low=-ndim, high=ndim - 1)
            for i, a in enumerate(axis)
        )
        if len({a % ndim for a in axes}) != len(axes):
            raise ValueError(f"axis repeats an axis: {axis}")
        return axes
    return check_int("axis", axis, low=-ndim, high=ndim - 1)


def _broadcastable(x, like: Tensor, op: str) -> Tensor:
    """`x` as a Tensor, after checking that its shape broadcasts with `like`'s."""
    x = _lift(x, like)
    try:
        np.broadcast_shapes(like.shape, x.shape)
    except ValueError:
        raise ValueError(
            f"shapes {like.shape} {op} {x.shape} do not broadcast: "
            "trailing axes must match or be 1"
        ) from None
    return x
