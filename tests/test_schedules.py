"""Tests of mlcourse.reference.schedules: values against torch.optim.lr_scheduler and Keras schedules, and input checks."""

import numpy as np
import pytest
import torch

import mlcourse as mc
from mlcourse.reference import schedules as sch
from mlcourse.reference.optimizers import SGD

STEPS = 200
LS = torch.optim.lr_scheduler


def torch_rates(make_scheduler, lr, steps=STEPS):
    """The learning rate PyTorch uses at steps 0 .. steps-1 (scheduler.step() after each update)."""
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=lr)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(rates)


TORCH_CASES = {
    "constant": (sch.Constant(0.1), 0.1, lambda o: LS.ConstantLR(o, factor=1.0)),
    "step": (
        sch.StepDecay(0.1, step_size=30, gamma=0.5),
        0.1,
        lambda o: LS.StepLR(o, 30, 0.5),
    ),
    "exponential": (
        sch.ExponentialDecay(0.1, gamma=0.98),
        0.1,
        lambda o: LS.ExponentialLR(o, 0.98),
    ),
    "exponential growth": (
        sch.ExponentialDecay(1e-4, gamma=1.05),
        1e-4,
        lambda o: LS.ExponentialLR(o, 1.05),
    ),
    "cosine": (
        sch.CosineDecay(0.1, total_steps=STEPS - 1, min_lr=0.001),
        0.1,
        lambda o: LS.CosineAnnealingLR(o, STEPS - 1, 0.001),
    ),
    "warmup": (
        sch.LinearWarmup(0.1, warmup_steps=20, start_factor=0.01),
        0.1,
        lambda o: LS.LinearLR(o, 0.01, 1.0, 20),
    ),
    "warmup + cosine": (
        sch.LinearWarmup(
            sch.CosineDecay(0.1, total_steps=STEPS - 20),
            warmup_steps=20,
            start_factor=0.1,
        ),
        0.1,
        lambda o: LS.SequentialLR(
            o,
            [LS.LinearLR(o, 0.1, 1.0, 20), LS.CosineAnnealingLR(o, STEPS - 20)],
            [20],
        ),
    ),
    "one cycle": (
        sch.OneCycle(0.1, total_steps=STEPS),
        0.1,
        lambda o: LS.OneCycleLR(o, 0.1, total_steps=STEPS, cycle_momentum=False),
    ),
    "one cycle linear-ish": (
        sch.OneCycle(
            0.5,
            total_steps=STEPS,
            pct_start=0.45,
            div_factor=10,
            final_div_factor=100,
        ),
        0.5,
        lambda o: LS.OneCycleLR(
            o,
            0.5,
            total_steps=STEPS,
            pct_start=0.45,
            div_factor=10,
            final_div_factor=100,
            cycle_momentum=False,
        ),
    ),
}


@pytest.mark.parametrize("case", TORCH_CASES)
def test_matches_torch(case):
    schedule, lr, make = TORCH_CASES[case]
    np.testing.assert_allclose(
        schedule(np.arange(STEPS)), torch_rates(make, lr), rtol=1e-12, atol=0
    )


def keras_cases(keras):
    """Keras schedules in float64 (a float64 initial rate; other numbers as np.float64, not cast via float32)."""
    s, f64 = keras.optimizers.schedules, np.float64
    return {
        "step": (
            sch.StepDecay(0.1, step_size=30, gamma=0.5),
            s.ExponentialDecay(f64(0.1), 30, f64(0.5), staircase=True),
        ),
        "exponential": (
            sch.ExponentialDecay(0.1, gamma=0.98),
            s.ExponentialDecay(f64(0.1), 1, f64(0.98)),
        ),
        "cosine": (
            sch.CosineDecay(0.1, total_steps=150, min_lr=0.002),
            s.CosineDecay(f64(0.1), 150, alpha=f64(0.02)),
        ),
        "warmup + cosine": (
            sch.LinearWarmup(
                sch.CosineDecay(0.1, total_steps=150),
                warmup_steps=20,
                start_factor=0.1,
            ),
            s.CosineDecay(f64(0.01), 150, warmup_target=f64(0.1), warmup_steps=20),
        ),
    }


def test_matches_keras():
    keras = mc.import_tensorflow().keras
    for name, (ours, theirs) in keras_cases(keras).items():
        steps = np.arange(STEPS)
        keras_rates = np.array([float(theirs(step)) for step in steps])
        np.testing.assert_allclose(
            ours(steps), keras_rates, rtol=1e-12, atol=0, err_msg=name
        )


def test_scalar_and_array_steps():
    schedule = sch.CosineDecay(1.0, total_steps=10)
    assert (
        isinstance(schedule(3), float)
        and schedule(0) == 1.0
        and schedule(10) == 0.0
    )
    values = schedule(np.arange(12))
    assert (
        values.shape == (12,) and values[-1] == 0.0
    )  # holds min_lr after total_steps
    assert np.all(np.diff(values) <= 0)


def test_one_cycle_shape():
    schedule = sch.OneCycle(
        1.0, total_steps=100, pct_start=0.25, div_factor=10, final_div_factor=100
    )
    values = schedule(np.arange(120))
    assert values[0] == pytest.approx(0.1) and values.max() == pytest.approx(1.0)
    assert (
        np.argmax(values) == 24
        and values[99] == pytest.approx(1e-3)
        and values[119] == values[99]
    )


def test_warmup_of_a_float_is_a_ramp_then_constant():
    schedule = sch.LinearWarmup(0.4, warmup_steps=4)
    np.testing.assert_allclose(
        schedule(np.arange(7)), [0.0, 0.1, 0.2, 0.3, 0.4, 0.4, 0.4]
    )


def test_schedule_drives_an_optimizer():
    schedule = sch.StepDecay(1.0, step_size=2, gamma=0.5)
    p, optimizer = np.zeros(1), SGD(schedule)
    for _ in range(5):
        optimizer.step([p], [np.ones(1)])
    np.testing.assert_allclose(p, -(1 + 1 + 0.5 + 0.5 + 0.25))


def test_make_schedule():
    schedule = sch.make_schedule("Cosine", lr=0.1, total_steps=10)
    assert schedule == sch.CosineDecay(0.1, 10)
    with pytest.raises(
        ValueError,
        match="unknown schedule 'linear'; choose from 'constant', 'step'",
    ):
        sch.make_schedule("linear", lr=0.1)
    with pytest.raises(TypeError):
        sch.make_schedule("step", lr=0.1)  # step_size is missing


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: sch.Constant(-0.1), ValueError, "lr must be >= 0"),
        (
            lambda: sch.StepDecay(0.1, step_size=0),
            ValueError,
            "step_size must be an integer >= 1",
        ),
        (
            lambda: sch.StepDecay(0.1, step_size=2.5),
            TypeError,
            "step_size must be an integer",
        ),
        (
            lambda: sch.ExponentialDecay(0.1, gamma=0.0),
            ValueError,
            "gamma must be > 0",
        ),
        (lambda: sch.ExponentialDecay(0.1, gamma=-0.5), ValueError, "gamma"),
        (
            lambda: sch.CosineDecay(0.1, total_steps=10, min_lr=0.2),
            ValueError,
            "min_lr",
        ),
        (lambda: sch.CosineDecay(0.1, total_steps=0), ValueError, "total_steps"),
        (
            lambda: sch.LinearWarmup(0.1, warmup_steps=10, start_factor=2.0),
            ValueError,
            "start_factor",
        ),
        (lambda: sch.LinearWarmup(-1.0, warmup_steps=10), ValueError, "after"),
        (
            lambda: sch.OneCycle(0.1, total_steps=3, pct_start=0.1),
            ValueError,
            "no room for both phases",
        ),
        (
            lambda: sch.OneCycle(0.1, total_steps=100, div_factor=0.5),
            ValueError,
            "div_factor",
        ),
    ],
)
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_bad_steps():
    schedule = sch.Constant(0.1)
    with pytest.raises(
        ValueError, match="step must have every entry >= 0, got 1 outside, e.g. -1"
    ):
        schedule(-1)
    with pytest.raises(TypeError, match="step must be an array of real numbers"):
        schedule("3")
    with pytest.raises(ValueError, match="step holds 1 non-finite"):
        schedule(np.array([0.0, np.nan]))
