"""Reverse-mode automatic differentiation on NumPy arrays (chapter "Backpropagation").

The scalar engine of :mod:`mlcourse.reference.autograd_scalar`, with arrays in place of
numbers and just the operations a multilayer perceptron needs: ``+ - * / **``,
``@``, ``sum``, ``mean``, ``exp``, ``log``, ``tanh``, ``sigmoid``, ``relu`` and
:func:`softmax_cross_entropy`. Elementwise operations broadcast as NumPy does;
the gradient of a broadcast input is summed back to the input's shape
(:func:`unbroadcast`).

Each operation builds its result with :meth:`Tensor.from_op` and attaches a
closure that sends the result's gradient to its inputs through
:meth:`Tensor.add_to_grad`. :meth:`Tensor.backward` runs the closures in
reverse topological order. As in PyTorch, gradients of leaves accumulate over
calls to ``backward`` (set ``.grad = None`` between steps); tensors created with
``requires_grad=False`` (data, constants) get no gradient and no graph.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from mlcourse.reference.autograd_scalar import topological_order
from mlcourse.reference.losses import log_softmax


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` down to `shape`: an input that broadcasting copied gets the sum of the copies' gradients."""
    while grad.ndim > len(shape):  # axes that broadcasting added in front
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):  # axes of length 1 that were stretched
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class Tensor:
    """A NumPy array that records the operations applied to it, for reverse-mode differentiation.

    `data` is copied; integers become float64, other floating types are kept.
    After ``loss.backward()``, ``.grad`` holds d(loss)/d(tensor), same shape as ``.data``.
    """

    __array_ufunc__ = (
        None  # `array * tensor` calls Tensor.__rmul__ instead of looping in NumPy
    )

    def __init__(self, data, requires_grad: bool = False):
        array = np.array(data)
        if array.dtype.kind in "biu":
            array = array.astype(np.float64)
        elif array.dtype.kind != "f":
            raise TypeError(f"Tensor holds real numbers, got dtype {array.dtype}")
        self.data = array
        self.requires_grad = bool(requires_grad)
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
        return f"Tensor(shape={self.shape}, dtype={self.data.dtype}, requires_grad={self.requires_grad}{op})"

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        return self.data.item()

    def detach(self) -> Tensor:
        """The same values as a new leaf without gradient: gradients do not flow through it."""
        return Tensor(self.data)

    # -- the two building blocks of every operation ------------------------------------
    @staticmethod
    def from_op(data: np.ndarray, parents: tuple[Tensor, ...], op: str) -> Tensor:
        """The result of operation `op` on `parents`; it joins the graph if a parent needs a gradient."""
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

    # -- elementwise operations with broadcasting ----------------------------------------
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
        if not isinstance(exponent, Real):
            raise TypeError(
                "only a constant exponent is supported: x ** 2, not x ** y"
            )
        out = Tensor.from_op(self.data**exponent, (self,), f"**{exponent:g}")

        def _backward():
            self.add_to_grad(out.grad * exponent * self.data ** (exponent - 1))

        out._backward = _backward
        return out

    def _unary(
        self, value: np.ndarray, local_derivative: np.ndarray, op: str
    ) -> Tensor:
        """An elementwise function whose derivative at each entry is `local_derivative`."""
        out = Tensor.from_op(value, (self,), op)

        def _backward():
            self.add_to_grad(out.grad * local_derivative)

        out._backward = _backward
        return out

    def exp(self) -> Tensor:
        """Elementwise e**x."""
        e = np.exp(self.data)
        return self._unary(e, e, "exp")

    def log(self) -> Tensor:
        """Elementwise natural logarithm; every entry must be positive."""
        if np.any(self.data <= 0):
            raise ValueError(
                f"log of {np.count_nonzero(self.data <= 0)} non-positive entries"
            )
        return self._unary(np.log(self.data), 1.0 / self.data, "log")

    def tanh(self) -> Tensor:
        """Elementwise hyperbolic tangent."""
        t = np.tanh(self.data)
        return self._unary(t, 1.0 - t * t, "tanh")

    def sigmoid(self) -> Tensor:
        """Elementwise logistic function 1 / (1 + e**-x)."""
        s = 0.5 * (
            1.0 + np.tanh(0.5 * self.data)
        )  # = 1 / (1 + e^-x), without overflow
        return self._unary(s, s * (1.0 - s), "sigmoid")

    def relu(self) -> Tensor:
        """Elementwise max(x, 0); its derivative at 0 is taken as 0, as in PyTorch and TensorFlow."""
        return self._unary(
            np.maximum(self.data, 0),
            (self.data > 0).astype(self.data.dtype),
            "relu",
        )

    # -- matrix product and reductions ---------------------------------------------------
    def __matmul__(self, other) -> Tensor:
        other = _lift(other, like=self)
        if self.data.ndim != 2 or other.data.ndim != 2:
            raise ValueError(
                f"matmul needs two 2-D arrays, got shapes {self.shape} @ {other.shape}"
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
        """Mean over `axis` (all axes by default), as ``np.mean``."""
        total = self.sum(axis=axis, keepdims=keepdims)
        return total * (total.data.size / self.data.size)

    def backward(self, grad=None) -> None:
        """Fill in ``.grad`` of every tensor this one depends on, by the chain rule in reverse.

        From a one-element tensor (a loss) `grad` may be left out: d(loss)/d(loss) = 1.
        From any other tensor, pass `grad`, the gradient of some scalar with respect to it.
        """
        if not self.requires_grad:
            raise ValueError(
                "backward() on a tensor that does not require grad: no input of it "
                "was created with requires_grad=True (or it was detached)"
            )
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward() needs grad= for a non-scalar tensor of shape {self.shape}; "
                    "reduce it to a scalar first (.sum(), .mean()) or pass its gradient"
                )
            grad = np.ones_like(self.data)
        grad = np.asarray(grad, dtype=self.data.dtype)
        if grad.shape != self.shape:
            raise ValueError(
                f"grad has shape {grad.shape}, but the tensor has shape {self.shape}"
            )
        order = topological_order(self)
        for node in order:
            if node._parents:  # intermediate tensors start from zero on every call
                node.grad = None
        self.add_to_grad(grad)
        for node in reversed(order):  # each tensor after every tensor that uses it
            node._backward()

    # -- the rest, through the operations above ------------------------------------------
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
    """Mean cross-entropy of `logits` ``(n, K)`` against integer `labels` ``(n,)``; stable for any logits.

    The value uses :func:`mlcourse.reference.losses.log_softmax`; the gradient with respect
    to the logits is ``(softmax(logits) - onehot(labels)) / n``.
    """
    if not isinstance(logits, Tensor):
        raise TypeError(f"logits must be a Tensor, got {type(logits).__name__}")
    labels = np.asarray(labels)
    if logits.data.ndim != 2:
        raise ValueError(
            f"logits must have shape (batch, classes), got {logits.shape}"
        )
    n, n_classes = logits.shape
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"labels must be {n} integer class indices, got shape {labels.shape}, "
            f"dtype {labels.dtype}"
        )
    if n and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"labels must lie in [0, {n_classes}), got {labels.min()}..{labels.max()}"
        )
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
    """`x` as a Tensor; a plain number takes the dtype of `like` (so 2.0 * float32 stays float32)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Real) and not isinstance(x, bool):
        return Tensor(np.asarray(x, dtype=like.data.dtype))
    if isinstance(x, np.ndarray):
        return Tensor(x)
    raise TypeError(f"cannot combine a Tensor with {type(x).__name__}")


def _broadcastable(x, like: Tensor, op: str) -> Tensor:
    """`x` as a Tensor, after checking that its shape broadcasts with that of `like`."""
    x = _lift(x, like)
    try:
        np.broadcast_shapes(like.shape, x.shape)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {like.shape} and {x.shape} do not broadcast (trailing "
            "axes must be equal or 1)"
        ) from None
    return x
