"""Reference optimizers in NumPy: SGD with momentum, AdaGrad, RMSProp, Adam, AdamW.

The optimizers chapter derives each one and checks it against ``torch.optim``
and ``keras.optimizers``; later chapters reuse them wherever an update rule
should be visible rather than hidden inside a framework. They share one small
interface::

    opt = Adam(lr=1e-3)  # lr: a float, or a schedule (any callable step -> lr)
    opt.step(params, grads)  # lists of NumPy arrays; updates `params` in place

An optimizer keeps its state (velocities, moment estimates) per parameter,
by position in the list, so pass the same parameters in the same order at
every step. The learning rate has no default: the frameworks disagree on it.
The other defaults follow PyTorch; where Keras computes something
differently, a keyword argument switches to Keras's form, and the docstring
says which. Hyperparameters are checked when an optimizer is built, and the
parameters and gradients at every step, with errors that name them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Real

import numpy as np

from mlcourse.validation import (
    check_array,
    check_bool,
    check_choice,
    check_number,
    check_sequence,
    check_type,
    describe,
)

LearningRate = float | Callable[[int], float]

# beta1, beta2, rho, momentum: averaging factors in [0, 1)
_FACTOR = dict(low=0, high=1, high_open=True)


def _check_lr(lr) -> LearningRate:
    """`lr` as a float >= 0, or a schedule, checked by calling it at step 0."""
    if callable(lr):
        _rate_at(lr, 0)  # a schedule that cannot give step 0's rate fails now
        return lr
    if isinstance(lr, bool) or not isinstance(lr, (Real, np.number)):
        raise TypeError(
            f"lr must be a number or a schedule (a function of the step), "
            f"got {describe(lr)}"
        )
    return check_number("lr", lr, low=0)


def _rate_at(schedule: Callable[[int], float], step: int) -> float:
    """``schedule(step)``, checked to be a finite non-negative number."""
    try:
        value = schedule(step)
    except TypeError as error:
        raise TypeError(
            f"lr must be a schedule callable with the step number, "
            f"but lr({step}) raised TypeError: {error}"
        ) from None
    return check_number(f"lr({step})", value, low=0)


class Optimizer:
    """The shared interface: learning rate, step count, per-parameter state.

    `lr` is a non-negative number, or a schedule: any function that takes the
    step number (from 0) and returns the learning rate. A subclass defines
    :meth:`init_state` (the arrays it keeps per parameter) and :meth:`update`
    (one parameter's update, in place); :meth:`step` checks their inputs.
    """

    def __init__(self, lr: LearningRate) -> None:
        self.lr = _check_lr(lr)
        self.steps = 0  # how many times step() has run
        self.state: list[dict[str, np.ndarray]] | None = None  # one per parameter

    def learning_rate(self) -> float:
        """The next step's learning rate: `lr`, or ``lr(steps)`` for a schedule."""
        if not callable(self.lr):
            return self.lr
        return _rate_at(self.lr, self.steps)

    def step(
        self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]
    ) -> None:
        """Update each array of `params` in place, with its gradient in `grads`."""
        params, grads = self._check(params, grads)
        if self.state is None:
            self.state = [self.init_state(p) for p in params]
        lr = self.learning_rate()
        for param, grad, state in zip(params, grads, self.state):
            self.update(param, grad, state, lr)
        self.steps += 1

    def init_state(self, param: np.ndarray) -> dict[str, np.ndarray]:
        """The per-parameter state before the first step (none by default)."""
        return {}

    def update(
        self,
        param: np.ndarray,
        grad: np.ndarray,
        state: dict[str, np.ndarray],
        lr: float,
    ) -> None:
        """Update one parameter in place."""
        raise NotImplementedError

    def _check(
        self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]
    ) -> tuple[tuple[np.ndarray, ...], list[np.ndarray]]:
        """The parameters, and the gradients as arrays of the parameters' dtypes."""
        params = check_sequence("params", params, what="arrays, e.g. [w, b]")
        grads = check_sequence("grads", grads, what="arrays, e.g. [dw, db]")
        if len(params) == 0:
            raise ValueError("params is empty: there is nothing to update")
        if len(params) != len(grads):
            raise ValueError(
                f"got {len(params)} parameters but {len(grads)} gradients"
            )
        if self.state is not None and len(params) != len(self.state):
            raise ValueError(
                f"this optimizer holds state for {len(self.state)} parameters "
                f"but got {len(params)}; pass the same parameters, in the same "
                "order, at every step"
            )
        checked = []
        for i, (param, grad) in enumerate(zip(params, grads)):
            if not isinstance(param, np.ndarray) or param.dtype.kind != "f":
                raise TypeError(
                    f"parameter {i} must be a floating-point NumPy array "
                    f"(updated in place), got {describe(param)}"
                )
            grad = check_array(
                f"the gradient of parameter {i}", grad, kind="fiu", finite=False
            )
            if grad.shape != param.shape:
                raise ValueError(
                    f"parameter {i} has shape {param.shape} "
                    f"but its gradient has shape {grad.shape}"
                )
            if self.state is not None and any(
                s.shape != param.shape for s in self.state[i].values()
            ):
                raise ValueError(
                    f"parameter {i} changed shape to {param.shape} "
                    "since the first step"
                )
            if not np.all(np.isfinite(grad)):
                raise ValueError(
                    f"the gradient of parameter {i} holds NaN or inf "
                    f"at step {self.steps}"
                )
            checked.append(grad.astype(param.dtype, copy=False))
        return params, checked

    def __repr__(self) -> str:
        settings = ", ".join(
            f"{k}={v!r}"
            for k, v in vars(self).items()
            if k not in ("steps", "state")
        )
        return f"{type(self).__name__}({settings})"


class SGD(Optimizer):
    """Gradient descent, optionally with heavy-ball (Polyak) or Nesterov momentum β.

    PyTorch's form, the default (the learning rate multiplies the velocity)::

        v ← β v + g ;   p ← p − lr · v              heavy ball
        v ← β v + g ;   p ← p − lr · (g + β v)      Nesterov

    Keras's form, with ``lr_in_velocity=True`` (the velocity is a step)::

        v ← β v − lr · g ;   p ← p + v              heavy ball
        v ← β v − lr · g ;   p ← p + β v − lr · g   Nesterov

    The two agree while lr is constant and differ when a schedule changes it.
    `weight_decay` λ adds λ·p to the gradient (an L2 penalty λ/2·‖p‖²), as
    ``torch.optim.SGD`` does.
    """

    def __init__(
        self,
        lr: LearningRate,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        lr_in_velocity: bool = False,
    ) -> None:
        super().__init__(lr)
        self.momentum = check_number("momentum", momentum, **_FACTOR)
        self.nesterov = check_bool("nesterov", nesterov)
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0, got momentum=0")
        self.weight_decay = check_number("weight_decay", weight_decay, low=0)
        self.lr_in_velocity = check_bool("lr_in_velocity", lr_in_velocity)

    def init_state(self, param: np.ndarray) -> dict[str, np.ndarray]:
        return {"velocity": np.zeros_like(param)} if self.momentum else {}

    def update(self, param, grad, state, lr):
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        if not self.momentum:
            param -= lr * grad
            return
        v, beta = state["velocity"], self.momentum
        if self.lr_in_velocity:  # Keras: the velocity is a step
            v *= beta
            v -= lr * grad
            param += (beta * v - lr * grad) if self.nesterov else v
        else:  # PyTorch: the velocity is a running sum of gradients
            v *= beta
            v += grad
            param -= lr * ((grad + beta * v) if self.nesterov else v)


class AdaGrad(Optimizer):
    """AdaGrad: divide each coordinate's step by the root of its summed squares.

    ::

        s ← s + g² ;   p ← p − lr · g / (√s + ε)    PyTorch (s₀ = 0, ε = 1e-10)
                       p ← p − lr · g / √(s + ε)    Keras, eps_inside_sqrt=True
                                 (with initial_accumulator=0.1, ε = 1e-7)
    """

    def __init__(
        self,
        lr: LearningRate,
        eps: float = 1e-10,
        initial_accumulator: float = 0.0,
        eps_inside_sqrt: bool = False,
    ) -> None:
        super().__init__(lr)
        self.eps = check_number("eps", eps, low=0)
        self.initial_accumulator = check_number(
            "initial_accumulator", initial_accumulator, low=0
        )
        self.eps_inside_sqrt = check_bool("eps_inside_sqrt", eps_inside_sqrt)

    def init_state(self, param):
        return {"sum_sq": np.full_like(param, self.initial_accumulator)}

    def update(self, param, grad, state, lr):
        s = state["sum_sq"]
        s += grad * grad
        denom = (
            np.sqrt(s + self.eps) if self.eps_inside_sqrt else np.sqrt(s) + self.eps
        )
        param -= lr * grad / denom


class RMSProp(Optimizer):
    """RMSProp: AdaGrad with a moving average of squared gradients instead of a sum.

    ::

        s ← ρ s + (1 − ρ) g² ;   p ← p − lr · g / (√s + ε)   PyTorch
                                 p ← p − lr · g / √(s + ε)   Keras (eps_inside_sqrt)

    PyTorch's defaults are ρ = 0.99 (its `alpha`) and ε = 1e-8; Keras's
    ρ = 0.9 and ε = 1e-7.
    """

    def __init__(
        self,
        lr: LearningRate,
        rho: float = 0.99,
        eps: float = 1e-8,
        eps_inside_sqrt: bool = False,
    ) -> None:
        super().__init__(lr)
        self.rho = check_number("rho", rho, **_FACTOR)
        self.eps = check_number("eps", eps, low=0)
        self.eps_inside_sqrt = check_bool("eps_inside_sqrt", eps_inside_sqrt)

    def init_state(self, param):
        return {"mean_sq": np.zeros_like(param)}

    def update(self, param, grad, state, lr):
        s = state["mean_sq"]
        s *= self.rho
        s += (1 - self.rho) * (grad * grad)
        denom = (
            np.sqrt(s + self.eps) if self.eps_inside_sqrt else np.sqrt(s) + self.eps
        )
        param -= lr * grad / denom


class Adam(Optimizer):
    """Adam: momentum on the gradient (m) over the root of its mean square (v).

    With t the number of this step (from 1), PyTorch's form (ε = 1e-8)::

        m ← β₁ m + (1 − β₁) g ;   v ← β₂ v + (1 − β₂) g²
        p ← p − lr · m̂ / (√v̂ + ε),   m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)

    With ``eps_hat=True``, Keras's form (ε = 1e-7 there), where ε is added to
    √v *before* the bias correction ("epsilon hat" in Kingma and Ba)::

        p ← p − lr · (√(1 − β₂ᵗ) / (1 − β₁ᵗ)) · m / (√v + ε)

    With ``bias_correction=False``: ``p ← p − lr · m / (√v + ε)``. `weight_decay`
    λ adds λ·p to the gradient (an L2 penalty), as ``torch.optim.Adam`` does;
    for decoupled weight decay use :class:`AdamW`.
    """

    def __init__(
        self,
        lr: LearningRate,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        bias_correction: bool = True,
        eps_hat: bool = False,
    ) -> None:
        super().__init__(lr)
        self.beta1 = check_number("beta1", beta1, **_FACTOR)
        self.beta2 = check_number("beta2", beta2, **_FACTOR)
        self.eps = check_number("eps", eps, low=0)
        self.weight_decay = check_number("weight_decay", weight_decay, low=0)
        self.bias_correction = check_bool("bias_correction", bias_correction)
        self.eps_hat = check_bool("eps_hat", eps_hat)

    def init_state(self, param):
        return {"m": np.zeros_like(param), "v": np.zeros_like(param)}

    def update(self, param, grad, state, lr):
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        self.adam_step(param, grad, state, lr)

    def adam_step(self, param, grad, state, lr):
        """The Adam update proper, on a gradient that includes any L2 term."""
        m, v, t = state["m"], state["v"], self.steps + 1
        m *= self.beta1
        m += (1 - self.beta1) * grad
        v *= self.beta2
        v += (1 - self.beta2) * (grad * grad)
        if not self.bias_correction:
            param -= lr * m / (np.sqrt(v) + self.eps)
            return
        correction1, correction2 = 1 - self.beta1**t, 1 - self.beta2**t
        if self.eps_hat:
            param -= (
                lr
                * math.sqrt(correction2)
                / correction1
                * m
                / (np.sqrt(v) + self.eps)
            )
        else:
            param -= (
                (lr / correction1)
                * m
                / (np.sqrt(v) / math.sqrt(correction2) + self.eps)
            )


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter): shrink, then step.

    ::

        p ← p − lr · λ · p ;  then :class:`Adam`'s update, on the loss gradient

    The decay bypasses m and v, so every weight shrinks at the same rate
    lr·λ, however large its gradients are. PyTorch's default λ is 0.01,
    Keras's 0.004. (Keras applies *every* optimizer's `weight_decay` this way,
    ``keras.optimizers.Adam`` included.)
    """

    def __init__(
        self,
        lr: LearningRate,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.01,
        bias_correction: bool = True,
        eps_hat: bool = False,
    ) -> None:
        super().__init__(
            lr, beta1, beta2, eps, weight_decay, bias_correction, eps_hat
        )

    def update(self, param, grad, state, lr):
        param -= lr * self.weight_decay * param
        self.adam_step(param, grad, state, lr)


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adagrad": AdaGrad,
    "rmsprop": RMSProp,
    "adam": Adam,
    "adamw": AdamW,
}


def make_optimizer(name: str, **kwargs) -> Optimizer:
    """The optimizer called `name` (see :data:`OPTIMIZERS`), built with `kwargs`.

    ``make_optimizer("sgd", lr=0.1, momentum=0.9, nesterov=True)``; the name
    is not case-sensitive.
    """
    check_type("name", name, str, "an optimizer's name (a string)")
    return OPTIMIZERS[check_choice("optimizer", name.lower(), OPTIMIZERS)](**kwargs)
