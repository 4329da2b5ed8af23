"""Reference optimizers in NumPy: SGD (plain, heavy-ball or Nesterov momentum), AdaGrad, RMSProp, Adam, AdamW.

The optimizers chapter derives each one and checks it against ``torch.optim``
and ``keras.optimizers``; later chapters reuse them wherever an update rule
should be visible rather than hidden inside a framework. They share one small
interface::

    opt = Adam(lr=1e-3)         # lr: a float, or a schedule (any callable step -> lr)
    opt.step(params, grads)     # lists of NumPy arrays; updates `params` in place

An optimizer keeps its state (velocities, moment estimates) per parameter,
by position in the list, so pass the same parameters in the same order at
every step. The learning rate has no default: the frameworks disagree on it.
The other defaults follow PyTorch; where Keras computes something
differently, a keyword argument switches to Keras's form, and the docstring
says which.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

LearningRate = float | Callable[[int], float]


def _check_number(
    name: str,
    value: float,
    low: float,
    high: float = math.inf,
    *,
    high_open: bool = False,
) -> float:
    """`value` as a float, or a ValueError naming `name` and the allowed range."""
    if isinstance(value, bool) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    too_high = value >= high if high_open else value > high
    if not math.isfinite(value) or value < low or too_high:
        bracket = ")" if high_open else "]"
        raise ValueError(
            f"{name} must be in [{low:g}, {high:g}{bracket}, got {value}"
        )
    return value


class Optimizer:
    """The shared interface: learning rate (a float or a schedule), step count, per-parameter state.

    A subclass defines :meth:`init_state` (the arrays it keeps per parameter)
    and :meth:`update` (one parameter's update, in place).
    """

    def __init__(self, lr: LearningRate) -> None:
        if not callable(lr):
            lr = _check_number("learning rate", lr, 0.0)
        self.lr = lr
        self.steps = 0  # how many times step() has run
        self.state: list[dict[str, np.ndarray]] | None = (
            None  # one dict per parameter
        )

    def learning_rate(self) -> float:
        """The learning rate the next step will use: `lr`, or ``lr(steps)`` for a schedule."""
        if not callable(self.lr):
            return self.lr
        value = float(self.lr(self.steps))
        if not math.isfinite(value) or value < 0:
            raise ValueError(
                f"the schedule returned learning rate {value} at step {self.steps}"
            )
        return value

    def step(
        self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]
    ) -> None:
        """Update each array in `params` in place, using the gradient at the same position in `grads`."""
        grads = self._check(params, grads)
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
    ) -> list[np.ndarray]:
        if isinstance(params, np.ndarray) or isinstance(grads, np.ndarray):
            raise TypeError(
                "params and grads must be lists of arrays, e.g. [w, b], not a single array"
            )
        if len(params) == 0:
            raise ValueError("params is empty: there is nothing to update")
        if len(params) != len(grads):
            raise ValueError(
                f"got {len(params)} parameters but {len(grads)} gradients"
            )
        if self.state is not None and len(params) != len(self.state):
            raise ValueError(
                f"this optimizer holds state for {len(self.state)} parameters but got {len(params)}; "
                "pass the same parameters, in the same order, at every step"
            )
        checked = []
        for i, (param, grad) in enumerate(zip(params, grads)):
            if not isinstance(param, np.ndarray) or not np.issubdtype(
                param.dtype, np.floating
            ):
                kind = (
                    param.dtype
                    if isinstance(param, np.ndarray)
                    else type(param).__name__
                )
                raise TypeError(
                    f"parameter {i} must be a floating-point NumPy array (updated in place), got {kind}"
                )
            grad = np.asarray(grad, dtype=param.dtype)
            if grad.shape != param.shape:
                raise ValueError(
                    f"parameter {i} has shape {param.shape} but its gradient has shape {grad.shape}"
                )
            if self.state is not None and any(
                s.shape != param.shape for s in self.state[i].values()
            ):
                raise ValueError(
                    f"parameter {i} changed shape to {param.shape} since the first step"
                )
            if not np.all(np.isfinite(grad)):
                raise ValueError(
                    f"the gradient of parameter {i} holds NaN or inf at step {self.steps}"
                )
            checked.append(grad)
        return checked

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
        self.momentum = _check_number(
            "momentum", momentum, 0.0, 1.0, high_open=True
        )
        if nesterov and self.momentum == 0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        self.nesterov = bool(nesterov)
        self.weight_decay = _check_number("weight_decay", weight_decay, 0.0)
        self.lr_in_velocity = bool(lr_in_velocity)

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
    """AdaGrad: divide each coordinate's step by the root of its summed squared gradients.

    ::

        s ← s + g² ;   p ← p − lr · g / (√s + ε)        PyTorch (s₀ = 0, ε = 1e-10)
                       p ← p − lr · g / √(s + ε)        Keras, eps_inside_sqrt=True
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
        self.eps = _check_number("eps", eps, 0.0)
        self.initial_accumulator = _check_number(
            "initial_accumulator", initial_accumulator, 0.0
        )
        self.eps_inside_sqrt = bool(eps_inside_sqrt)

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
    """RMSProp: like AdaGrad, but with an exponential moving average of squared gradients.

    ::

        s ← ρ s + (1 − ρ) g² ;   p ← p − lr · g / (√s + ε)     PyTorch (its `alpha` = ρ = 0.99, ε = 1e-8)
                                 p ← p − lr · g / √(s + ε)     Keras, eps_inside_sqrt=True (ρ = 0.9, ε = 1e-7)
    """

    def __init__(
        self,
        lr: LearningRate,
        rho: float = 0.99,
        eps: float = 1e-8,
        eps_inside_sqrt: bool = False,
    ) -> None:
        super().__init__(lr)
        self.rho = _check_number("rho", rho, 0.0, 1.0, high_open=True)
        self.eps = _check_number("eps", eps, 0.0)
        self.eps_inside_sqrt = bool(eps_inside_sqrt)

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
    """Adam: momentum on the gradient (m) divided by the root of a moving average of its square (v).

    ::

        m ← β₁ m + (1 − β₁) g ;   v ← β₂ v + (1 − β₂) g² ;   t = number of this step (from 1)
        p ← p − lr · m̂ / (√v̂ + ε),   m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)       PyTorch (ε = 1e-8)

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
        self.beta1 = _check_number("beta1", beta1, 0.0, 1.0, high_open=True)
        self.beta2 = _check_number("beta2", beta2, 0.0, 1.0, high_open=True)
        self.eps = _check_number("eps", eps, 0.0)
        self.weight_decay = _check_number("weight_decay", weight_decay, 0.0)
        self.bias_correction = bool(bias_correction)
        self.eps_hat = bool(eps_hat)

    def init_state(self, param):
        return {"m": np.zeros_like(param), "v": np.zeros_like(param)}

    def update(self, param, grad, state, lr):
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        self.adam_step(param, grad, state, lr)

    def adam_step(self, param, grad, state, lr):
        """The Adam update proper, on a gradient that already includes any L2 term."""
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
    """Adam with decoupled weight decay (Loshchilov and Hutter): shrink p, then take an Adam step.

    ::

        p ← p − lr · λ · p        then the Adam update of :class:`Adam`, on the loss gradient alone

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

    ``make_optimizer("sgd", lr=0.1, momentum=0.9, nesterov=True)``.
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in OPTIMIZERS:
        raise ValueError(
            f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}"
        )
    return OPTIMIZERS[key](**kwargs)
