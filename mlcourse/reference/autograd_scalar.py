"""Reverse-mode automatic differentiation on numbers (chapter "Backpropagation").

The idea in its plainest form. Every :class:`Scalar` remembers the values it
was computed from (its *parents*) and a small closure, ``_backward``, that
applies the chain rule for that one operation: given the gradient of the final
result with respect to this node, it adds the node's contribution to each
parent's gradient. :meth:`Scalar.backward` visits the nodes in reverse
topological order, so that a node passes its gradient on only once every use
of it has contributed. The array engine in :mod:`mlcourse.reference.autograd`
works the same way on NumPy arrays.

Like PyTorch, gradients of leaves (inputs and parameters) accumulate over calls
to ``backward``; gradients of intermediate nodes are recomputed on each call.
Like PyTorch's float64 arithmetic, values follow IEEE 754: ``exp(1000)`` is
``inf``, ``0 ** -1`` is ``inf``, ``(-8) ** 0.5`` is NaN, where plain Python
floats would raise. One exception, on purpose: :meth:`Scalar.log` of zero or a
negative number is an error (PyTorch gives -inf or NaN), because in a
network it is a bug, best reported where it happens. ``.data`` is another
name for ``.value`` (micrograd's name), so micrograd-style code runs as is.
"""

from __future__ import annotations

import math

import numpy as np

from mlcourse.validation import check_number, describe


def topological_order(root):
    """The nodes `root` depends on, each after all of its parents; `root` last.

    Works for any node with a ``_parents`` tuple (:class:`Scalar` and
    :class:`mlcourse.reference.autograd.Tensor`). A depth-first search with an
    explicit stack, so that long chains do not hit Python's recursion limit.
    """
    if not isinstance(getattr(root, "_parents", None), tuple):
        raise TypeError(
            f"root must be a Scalar or a Tensor (a node of a graph), "
            f"got {describe(root)}"
        )
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:  # second visit: every parent is already in `order`
            order.append(node)
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, True))
            stack.extend((parent, False) for parent in node._parents)
    return order


def _power(base: float, exponent: float) -> float:
    """``base ** exponent`` as IEEE 754 (and PyTorch) define it, never raising.

    Python raises ``ZeroDivisionError`` for ``0.0 ** -1``, ``OverflowError``
    for ``10.0 ** 400`` and returns a complex number for ``(-8.0) ** 0.5``;
    C's ``pow``, which NumPy and PyTorch use, gives inf, inf and NaN.
    """
    with np.errstate(all="ignore"):
        return float(np.float64(base) ** exponent)


def _exp(x: float) -> float:
    """e**x, ``inf`` where it overflows (Python's ``math.exp`` raises there)."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


class Scalar:
    """A float that records how it was computed, so gradients can flow back.

    `value` is a real number (NaN and infinities allowed, as in PyTorch);
    ``.data`` is the same number under micrograd's name.
    """

    def __init__(self, value: float, _parents: tuple = (), _op: str = ""):
        self.value = check_number("value", value, allow_inf=True, allow_nan=True)
        self.grad = 0.0  # d(output)/d(self), filled in by backward()
        self._parents = _parents
        self._op = _op  # for printing the graph
        self._backward = lambda: None  # a leaf passes nothing on

    @property
    def data(self) -> float:
        """The value, under the name micrograd uses (``Value.data``)."""
        return self.value

    @data.setter
    def data(self, value: float) -> None:
        self.value = check_number("data", value, allow_inf=True, allow_nan=True)

    def __repr__(self) -> str:
        op = f", op={self._op}" if self._op else ""
        return f"Scalar({self.value:.6g}, grad={self.grad:.6g}{op})"

    # Each operation: compute the value, then say how to send a gradient back.
    def __add__(self, other) -> Scalar:
        other = _as_scalar(other)
        out = Scalar(self.value + other.value, (self, other), "+")

        def _backward():  # d(a + b)/da = 1, d(a + b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other) -> Scalar:
        other = _as_scalar(other)
        out = Scalar(self.value * other.value, (self, other), "*")

        def _backward():  # d(ab)/da = b, d(ab)/db = a
            self.grad += other.value * out.grad
            other.grad += self.value * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent: float) -> Scalar:
        """``x ** p`` for a constant number `p`; IEEE results (inf, NaN) at 0."""
        if isinstance(exponent, Scalar):
            raise TypeError(
                "only a constant exponent is supported: x ** 2, not x ** y"
            )
        exponent = check_number("exponent", exponent)
        out = Scalar(_power(self.value, exponent), (self,), f"**{exponent:g}")

        def _backward():  # d(x^p)/dx = p x^(p-1); 0 for p = 0, as in PyTorch
            if exponent != 0:
                self.grad += exponent * _power(self.value, exponent - 1) * out.grad

        out._backward = _backward
        return out

    def _unary(self, value: float, local_derivative: float, op: str) -> Scalar:
        """A one-input operation whose derivative here is `local_derivative`."""
        out = Scalar(value, (self,), op)

        def _backward():
            self.grad += local_derivative * out.grad

        out._backward = _backward
        return out

    def exp(self) -> Scalar:
        """e**x (``inf`` beyond x = 709.78, as in float64 PyTorch)."""
        e = _exp(self.value)
        return self._unary(e, e, "exp")  # d(e^x)/dx = e^x

    def log(self) -> Scalar:
        """Natural logarithm of a positive number (0 or less is an error)."""
        if self.value <= 0:  # (NaN passes, and gives NaN like every operation)
            raise ValueError(
                f"log of {self.value!r}: the logarithm needs a positive number "
                "(PyTorch would return -inf or NaN)"
            )
        return self._unary(math.log(self.value), 1.0 / self.value, "log")

    def tanh(self) -> Scalar:
        """Hyperbolic tangent."""
        t = math.tanh(self.value)
        return self._unary(t, 1.0 - t * t, "tanh")

    def sigmoid(self) -> Scalar:
        """Logistic function 1 / (1 + e**-x), accurate on both tails.

        The exponential is always of -|x|, so it never overflows, and for
        negative x the result e**x / (1 + e**x) keeps its relative precision
        (1 - tanh, or 1 / (1 + e**-x) at large -x, would round it to 0).
        """
        e = _exp(-abs(self.value))
        s = 1.0 / (1.0 + e) if self.value >= 0 else e / (1.0 + e)
        return self._unary(s, s * (1.0 - s), "sigmoid")

    def relu(self) -> Scalar:
        """max(x, 0), with derivative 0 at 0."""
        return self._unary(max(self.value, 0.0), float(self.value > 0), "relu")

    def backward(self) -> None:
        """Fill in ``.grad`` of every node this one depends on: d(self)/d(node)."""
        order = topological_order(self)
        for node in order:
            if node._parents:  # intermediate nodes start from zero on every call
                node.grad = 0.0
        self.grad += 1.0  # d(self)/d(self)
        for node in reversed(order):  # each node after every node that uses it
            node._backward()

    # The rest is expressed through the operations above.
    def __neg__(self) -> Scalar:
        return self * -1.0

    def __sub__(self, other) -> Scalar:
        return self + (-_as_scalar(other))

    def __truediv__(self, other) -> Scalar:
        return self * _as_scalar(other) ** -1.0

    def __radd__(self, other) -> Scalar:
        return self + other

    def __rmul__(self, other) -> Scalar:
        return self * other

    def __rsub__(self, other) -> Scalar:
        return _as_scalar(other) - self

    def __rtruediv__(self, other) -> Scalar:
        return _as_scalar(other) / self


def _as_scalar(x) -> Scalar:
    """`x` itself if it is a Scalar, else a new leaf holding the number `x`."""
    if isinstance(x, Scalar):
        return x
    try:
        return Scalar(x)
    except TypeError:
        raise TypeError(
            f"a Scalar combines with numbers and Scalars, not {describe(x)}"
        ) from None
