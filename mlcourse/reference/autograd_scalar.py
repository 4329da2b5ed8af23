"""Reverse-mode automatic differentiation on single numbers (chapter "Backpropagation").

The idea in its plainest form. Every :class:`Scalar` remembers the values it
was computed from (its *parents*) and a small closure, ``_backward``, that
applies the chain rule for that one operation: given the gradient of the final
result with respect to this node, it adds the node's contribution to each
parent's gradient. :meth:`Scalar.backward` visits the nodes in reverse
topological order, so that a node passes its gradient on only once every use
of it has contributed. The array engine in :mod:`mlcourse.reference.autograd` works the
same way on NumPy arrays.

Like PyTorch, gradients of leaves (inputs and parameters) accumulate over calls
to ``backward``; gradients of intermediate nodes are recomputed on each call.
"""

from __future__ import annotations

import math
from numbers import Real


def topological_order(root):
    """The nodes `root` depends on, each listed after all of its parents; `root` comes last.

    Works for any node with a ``_parents`` tuple (:class:`Scalar` and
    :class:`mlcourse.reference.autograd.Tensor`). A depth-first search with an explicit
    stack, so that long chains do not hit Python's recursion limit.
    """
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


class Scalar:
    """A float that records how it was computed, so that gradients can flow back to its inputs."""

    def __init__(self, value: float, _parents: tuple = (), _op: str = ""):
        if isinstance(value, bool) or not isinstance(value, Real):
            raise TypeError(
                f"Scalar holds a real number, got {type(value).__name__}"
            )
        self.value = float(value)
        self.grad = 0.0  # d(output)/d(self), filled in by backward()
        self._parents = _parents
        self._op = _op  # for printing the graph
        self._backward = lambda: None  # a leaf passes nothing on

    def __repr__(self) -> str:
        return f"Scalar({self.value:.6g}, grad={self.grad:.6g}{', op=' + self._op if self._op else ''})"

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
        if not isinstance(exponent, Real):
            raise TypeError(
                "only a constant exponent is supported: x ** 2, not x ** y"
            )
        out = Scalar(self.value**exponent, (self,), f"**{exponent:g}")

        def _backward():  # d(x^p)/dx = p x^(p-1)
            self.grad += exponent * self.value ** (exponent - 1) * out.grad

        out._backward = _backward
        return out

    def _unary(self, value: float, local_derivative: float, op: str) -> Scalar:
        """A one-input operation whose derivative at this point is `local_derivative`."""
        out = Scalar(value, (self,), op)

        def _backward():
            self.grad += local_derivative * out.grad

        out._backward = _backward
        return out

    def exp(self) -> Scalar:
        """e**x."""
        e = math.exp(self.value)
        return self._unary(e, e, "exp")  # d(e^x)/dx = e^x

    def log(self) -> Scalar:
        """Natural logarithm of a positive number."""
        if self.value <= 0:
            raise ValueError(f"log of a non-positive number: {self.value}")
        return self._unary(math.log(self.value), 1.0 / self.value, "log")

    def tanh(self) -> Scalar:
        """Hyperbolic tangent."""
        t = math.tanh(self.value)
        return self._unary(t, 1.0 - t * t, "tanh")

    def sigmoid(self) -> Scalar:
        """Logistic function 1 / (1 + e**-x)."""
        s = 0.5 * (
            1.0 + math.tanh(0.5 * self.value)
        )  # = 1 / (1 + e^-x), without overflow
        return self._unary(s, s * (1.0 - s), "sigmoid")

    def relu(self) -> Scalar:
        """max(x, 0), with derivative 0 at 0."""
        return self._unary(max(self.value, 0.0), float(self.value > 0), "relu")

    def backward(self) -> None:
        """Fill in ``.grad`` of every node this one depends on with d(self)/d(node)."""
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
    return x if isinstance(x, Scalar) else Scalar(x)
