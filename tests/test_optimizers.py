"""Tests of mlcourse.reference.optimizers: trajectories against torch.optim and keras.optimizers, and input checks."""

import numpy as np
import pytest
import torch

import mlcourse as mc
from mlcourse.reference import optimizers as opt
from mlcourse.reference import schedules

STEPS = 150


def problem(seed=0):
    """Two parameter arrays and a smooth, bounded loss: gradients in NumPy, and the loss in torch."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(4, 4))
    hessian = a @ a.T + 0.5 * np.eye(4)
    target = rng.normal(size=3)

    def grads(
        w, b
    ):  # loss = 0.5 wᵀHw + sum(log cosh(b - target)) + 0.1 (w₀ + w₁)(b₀)
        return [
            hessian @ w + 0.1 * b[0] * np.array([1.0, 1.0, 0, 0]),
            np.tanh(b - target) + 0.1 * (w[0] + w[1]) * np.array([1.0, 0, 0]),
        ]

    return [rng.normal(size=4), rng.normal(size=3)], grads


def run_ours(optimizer, steps=STEPS, seed=0):
    params, grads = problem(seed)
    path = []
    for _ in range(steps):
        optimizer.step(params, grads(*params))
        path.append(np.concatenate(params))
    return np.array(path)


def run_torch(make, steps=STEPS, seed=0, scheduler=None):
    params, grads = problem(seed)
    tensors = [torch.tensor(p) for p in params]
    optimizer = make(tensors)
    sched = scheduler(optimizer) if scheduler else None
    path = []
    for _ in range(steps):
        for t, g in zip(tensors, grads(*[t.numpy() for t in tensors])):
            t.grad = torch.tensor(g)
        optimizer.step()
        if sched:
            sched.step()
        path.append(np.concatenate([t.numpy() for t in tensors]))
    return np.array(path)


TORCH_CASES = {
    "sgd": (dict(name="sgd", lr=0.05), lambda p: torch.optim.SGD(p, lr=0.05)),
    "heavy ball + L2": (
        dict(name="sgd", lr=0.02, momentum=0.9, weight_decay=0.1),
        lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9, weight_decay=0.1),
    ),
    "nesterov": (
        dict(name="sgd", lr=0.02, momentum=0.8, nesterov=True),
        lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.8, nesterov=True),
    ),
    "adagrad": (
        dict(name="adagrad", lr=0.1),
        lambda p: torch.optim.Adagrad(p, lr=0.1),
    ),
    "adagrad init": (
        dict(name="adagrad", lr=0.1, initial_accumulator=0.1, eps=1e-6),
        lambda p: torch.optim.Adagrad(
            p, lr=0.1, initial_accumulator_value=0.1, eps=1e-6
        ),
    ),
    "rmsprop": (
        dict(name="rmsprop", lr=0.01),
        lambda p: torch.optim.RMSprop(p, lr=0.01),
    ),
    # rho = 0.9 with a small step: see the Keras RMSProp case below.
    "rmsprop rho": (
        dict(name="rmsprop", lr=0.002, rho=0.9, eps=1e-6),
        lambda p: torch.optim.RMSprop(p, lr=0.002, alpha=0.9, eps=1e-6),
    ),
    "adam": (dict(name="adam", lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    "adam + L2": (
        dict(name="adam", lr=0.01, beta1=0.8, beta2=0.99, weight_decay=0.1),
        lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1),
    ),
    "adamw": (dict(name="adamw", lr=0.01), lambda p: torch.optim.AdamW(p, lr=0.01)),
    "adamw 0.3": (
        dict(name="adamw", lr=0.01, weight_decay=0.3, eps=1e-6),
        lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.3, eps=1e-6),
    ),
}


@pytest.mark.parametrize("case", TORCH_CASES)
def test_matches_torch_in_float64(case):
    kwargs, make_torch = TORCH_CASES[case]
    ours = run_ours(opt.make_optimizer(**kwargs))
    theirs = run_torch(make_torch)
    assert np.abs(ours[-1] - ours[0]).max() > 1e-2, (
        "the test problem should move the parameters"
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-11, atol=1e-12)


def test_momentum_with_a_schedule_matches_torch():
    schedule = schedules.StepDecay(0.05, step_size=40, gamma=0.3)
    ours = run_ours(opt.SGD(schedule, momentum=0.9))
    theirs = run_torch(
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
        scheduler=lambda o: torch.optim.lr_scheduler.StepLR(o, 40, 0.3),
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-11, atol=1e-12)


def test_adam_without_bias_correction_first_step():
    p = np.zeros(2)
    opt.Adam(lr=0.1, bias_correction=False, eps=0.0).step(
        [p], [np.array([3.0, -1e-3])]
    )
    expected = 0.1 * (1 - 0.9) / np.sqrt(1 - 0.999)  # m = 0.1 g, v = 0.001 g²
    np.testing.assert_allclose(p, [-expected, expected], rtol=1e-12)


def test_eps_hat_is_the_torch_form_with_a_rescaled_eps():
    """Keras's form is PyTorch's with eps_t = eps_hat / sqrt(1 - beta2^t), a different eps at each step."""
    gradients = (
        np.random.default_rng(1).normal(size=(5, 3)) * 1e-6
    )  # small: eps matters
    p, adam = np.zeros(3), opt.Adam(lr=0.1, eps=1e-7, eps_hat=True)
    m, v = np.zeros(3), np.zeros(3)
    for t, g in enumerate(gradients, start=1):
        before = p.copy()
        adam.step([p], [g])
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        m_hat, v_hat = m / (1 - 0.9**t), v / (1 - 0.999**t)
        eps_t = 1e-7 / np.sqrt(1 - 0.999**t)
        np.testing.assert_allclose(
            p - before, -0.1 * m_hat / (np.sqrt(v_hat) + eps_t), rtol=1e-12
        )


def test_lr_in_velocity_is_the_same_for_a_constant_lr():
    for nesterov in (False, True):
        a = run_ours(opt.SGD(0.02, momentum=0.9, nesterov=nesterov))
        b = run_ours(
            opt.SGD(0.02, momentum=0.9, nesterov=nesterov, lr_in_velocity=True)
        )
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_lr_in_velocity_differs_when_the_lr_changes():
    schedule = schedules.StepDecay(0.05, step_size=40, gamma=0.1)
    a = run_ours(opt.SGD(schedule, momentum=0.9))
    b = run_ours(opt.SGD(schedule, momentum=0.9, lr_in_velocity=True))
    assert (
        np.abs(a[:40] - b[:40]).max() < 1e-12 and np.abs(a[41] - b[41]).max() > 1e-3
    )


def test_adamw_decays_weights_without_gradient_geometrically():
    p = np.ones(3)
    optimizer = opt.AdamW(lr=0.1, weight_decay=0.5)
    for _ in range(10):
        optimizer.step([p], [np.zeros(3)])
    np.testing.assert_allclose(p, (1 - 0.1 * 0.5) ** 10, rtol=1e-14)


def test_state_is_kept_per_position():
    w, b = np.ones(2), np.ones(3)
    optimizer = opt.SGD(0.1, momentum=0.5)
    optimizer.step([w, b], [np.ones(2), np.zeros(3)])
    optimizer.step([w, b], [np.ones(2), np.zeros(3)])
    np.testing.assert_allclose(w, 1 - 0.1 * (1 + 1.5))
    np.testing.assert_allclose(b, 1.0)
    assert optimizer.steps == 2 and len(optimizer.state) == 2


def test_schedule_as_learning_rate():
    p = np.zeros(1)
    optimizer = opt.SGD(schedules.ExponentialDecay(1.0, gamma=0.5))
    for _ in range(3):
        optimizer.step([p], [np.ones(1)])
    np.testing.assert_allclose(p, -(1 + 0.5 + 0.25))
    assert optimizer.learning_rate() == 0.125


def test_float32_parameters_stay_float32():
    p = np.ones(3, dtype=np.float32)
    opt.Adam(lr=0.1).step([p], [np.ones(3)])
    assert p.dtype == np.float32


def test_make_optimizer():
    optimizer = opt.make_optimizer("Adam", lr=0.1, beta2=0.99)
    assert isinstance(optimizer, opt.Adam) and optimizer.beta2 == 0.99
    assert "Adam(" in repr(optimizer)
    with pytest.raises(
        ValueError, match="unknown optimizer 'adamax'; choose from 'sgd', 'adagrad'"
    ):
        opt.make_optimizer("adamax", lr=0.1)
    with pytest.raises(TypeError):
        opt.make_optimizer("sgd", lr=0.1, betas=(0.9, 0.99))


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: opt.SGD(lr=-0.1), ValueError, "lr must be >= 0"),
        (
            lambda: opt.SGD(lr=float("nan")),
            ValueError,
            "lr must be >= 0 and finite",
        ),
        (lambda: opt.SGD(lr="0.1"), TypeError, "lr must be a number or a schedule"),
        (lambda: opt.SGD(lr=None), TypeError, "lr must be a number or a schedule"),
        (
            lambda: opt.SGD(lr=lambda: 0.1),
            TypeError,
            r"lr must be a schedule callable with the step number, but lr\(0\)",
        ),
        (
            lambda: opt.SGD(lr=lambda step: "0.1"),
            TypeError,
            r"lr\(0\) must be a real number, got '0.1'",
        ),
        (lambda: opt.SGD(lr=0.1, momentum=1.0), ValueError, "momentum"),
        (lambda: opt.SGD(lr=0.1, momentum=-0.5), ValueError, "momentum"),
        (
            lambda: opt.SGD(lr=0.1, nesterov=True),
            ValueError,
            "nesterov=True needs momentum > 0",
        ),
        (lambda: opt.SGD(lr=0.1, weight_decay=-1), ValueError, "weight_decay"),
        (lambda: opt.Adam(lr=0.1, beta1=1.0), ValueError, "beta1"),
        (lambda: opt.Adam(lr=0.1, beta2=-0.1), ValueError, "beta2"),
        (lambda: opt.Adam(lr=0.1, eps=-1e-8), ValueError, "eps"),
        (lambda: opt.RMSProp(lr=0.1, rho=1.5), ValueError, "rho"),
        (
            lambda: opt.AdaGrad(lr=0.1, initial_accumulator=-0.1),
            ValueError,
            "initial_accumulator",
        ),
    ],
)
def test_bad_hyperparameters(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_bad_params_and_grads():
    optimizer = opt.Adam(lr=0.1)
    w, b = np.zeros((3, 2)), np.zeros(2)
    with pytest.raises(
        ValueError,
        match=r"parameter 0 has shape \(3, 2\) but its gradient has shape \(2, 3\)",
    ):
        optimizer.step([w, b], [np.zeros((2, 3)), np.zeros(2)])
    with pytest.raises(ValueError, match="got 2 parameters but 1 gradients"):
        optimizer.step([w, b], [np.zeros((3, 2))])
    with pytest.raises(ValueError, match="params is empty"):
        optimizer.step([], [])
    with pytest.raises(
        TypeError, match=r"params must be a list or tuple of arrays"
    ):
        optimizer.step(w, np.zeros((3, 2)))
    with pytest.raises(TypeError, match=r"grads must be a list or tuple of arrays"):
        optimizer.step([w], None)
    with pytest.raises(
        TypeError, match="parameter 0 must be a floating-point NumPy array"
    ):
        optimizer.step([np.zeros(2, dtype=np.int64)], [np.zeros(2)])
    with pytest.raises(
        TypeError, match="parameter 0 must be a floating-point NumPy array"
    ):
        optimizer.step([[0.0, 0.0]], [np.zeros(2)])
    with pytest.raises(
        ValueError, match="gradient of parameter 1 holds NaN or inf at step 0"
    ):
        optimizer.step([w, b], [np.zeros((3, 2)), np.array([0.0, np.nan])])
    optimizer.step([w, b], [np.ones((3, 2)), np.ones(2)])
    with pytest.raises(ValueError, match="holds state for 2 parameters but got 1"):
        optimizer.step([w], [np.ones((3, 2))])
    with pytest.raises(ValueError, match=r"parameter 1 changed shape to \(3,\)"):
        optimizer.step([w, np.zeros(3)], [np.ones((3, 2)), np.ones(3)])


def test_schedule_returning_a_bad_rate():
    optimizer = opt.SGD(lambda step: 0.1 - 0.05 * step)
    p = np.zeros(1)
    for _ in range(3):
        optimizer.step([p], [np.ones(1)])
    with pytest.raises(
        ValueError, match=r"lr\(3\) must be >= 0 and finite, got -0\.05"
    ):
        optimizer.step([p], [np.ones(1)])


# Keras: float64 variables. Keras keeps the learning rate in a float32 variable and casts
# Python-float hyperparameters through float32, so the learning rate is one float32 represents
# exactly and the other hyperparameters are passed as np.float64.
KERAS_LR = float(np.float32(0.01))
F64 = np.float64
KERAS_CASES = {
    "heavy ball": (
        opt.SGD(KERAS_LR, momentum=0.9, lr_in_velocity=True),
        lambda k: k.optimizers.SGD(KERAS_LR, momentum=F64(0.9)),
    ),
    "nesterov": (
        opt.SGD(KERAS_LR, momentum=0.9, nesterov=True, lr_in_velocity=True),
        lambda k: k.optimizers.SGD(KERAS_LR, momentum=F64(0.9), nesterov=True),
    ),
    "adagrad": (
        opt.AdaGrad(
            KERAS_LR, eps=1e-7, initial_accumulator=0.1, eps_inside_sqrt=True
        ),
        lambda k: k.optimizers.Adagrad(
            KERAS_LR, initial_accumulator_value=F64(0.1), epsilon=F64(1e-7)
        ),
    ),
    # A smaller step: near a minimum, RMSProp with rho = 0.9 bounces, and the bouncing amplifies
    # round-off (by about 5x per step here), whichever implementation runs it.
    "rmsprop": (
        opt.RMSProp(KERAS_LR / 8, rho=0.9, eps=1e-7, eps_inside_sqrt=True),
        lambda k: k.optimizers.RMSprop(
            KERAS_LR / 8, rho=F64(0.9), epsilon=F64(1e-7)
        ),
    ),
    "adam": (
        opt.Adam(KERAS_LR, eps=1e-7, eps_hat=True),
        lambda k: k.optimizers.Adam(
            KERAS_LR, beta_1=F64(0.9), beta_2=F64(0.999), epsilon=F64(1e-7)
        ),
    ),
    "adamw": (
        opt.AdamW(KERAS_LR, eps=1e-7, eps_hat=True, weight_decay=0.1),
        lambda k: k.optimizers.AdamW(
            KERAS_LR,
            weight_decay=F64(0.1),
            beta_1=F64(0.9),
            beta_2=F64(0.999),
            epsilon=F64(1e-7),
        ),
    ),
    "keras adam weight_decay is decoupled": (
        opt.AdamW(KERAS_LR, eps=1e-7, eps_hat=True, weight_decay=0.1),
        lambda k: k.optimizers.Adam(
            KERAS_LR,
            weight_decay=F64(0.1),
            beta_1=F64(0.9),
            beta_2=F64(0.999),
            epsilon=F64(1e-7),
        ),
    ),
}


@pytest.mark.parametrize("case", KERAS_CASES)
def test_matches_keras_in_float64(case):
    tf = mc.import_tensorflow()
    ours_optimizer, make_keras = KERAS_CASES[case]
    ours = run_ours(ours_optimizer, steps=100)
    params, grads = problem()
    variables = [tf.Variable(p, dtype=tf.float64) for p in params]
    keras_optimizer = make_keras(tf.keras)
    path = []
    for _ in range(100):
        g = grads(*[v.numpy() for v in variables])
        keras_optimizer.apply_gradients(zip([tf.constant(x) for x in g], variables))
        path.append(np.concatenate([v.numpy() for v in variables]))
    np.testing.assert_allclose(ours, np.array(path), rtol=1e-11, atol=1e-12)
