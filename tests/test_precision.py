"""Tests of mlcourse.precision: the loss scaler against GradScaler, the meter."""

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from mlcourse import precision

# ---------------------------------------------------------------- update_scale


def test_update_scale_backs_off_and_restarts_the_count():
    assert precision.update_scale(1024.0, 3, True) == (512.0, 0)


def test_update_scale_grows_after_the_interval_only():
    scale, tracker = 8.0, 0
    for _ in range(2):
        scale, tracker = precision.update_scale(
            scale, tracker, False, growth_interval=3
        )
    assert (scale, tracker) == (8.0, 2)
    assert precision.update_scale(scale, tracker, False, growth_interval=3) == (
        16.0,
        0,
    )


def test_update_scale_never_grows_to_infinity():
    largest = float(torch.finfo(torch.float32).max)
    assert precision.update_scale(largest, 0, False, growth_interval=1) == (
        largest,
        0,
    )


def test_update_scale_keeps_the_scale_in_float32():
    scale, _ = precision.update_scale(1.0, 0, True, backoff_factor=0.3)
    assert scale == float(torch.tensor(0.3, dtype=torch.float32))


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(scale=0.0), ValueError),
        (dict(scale=float("nan")), ValueError),
        (dict(scale=float("inf")), ValueError),
        (dict(scale="1"), TypeError),
        (dict(growth_tracker=-1), ValueError),
        (dict(growth_tracker=1.0), TypeError),
        (dict(found_inf=1), TypeError),
        (dict(growth_factor=1.0), ValueError),
        (dict(backoff_factor=1.0), ValueError),
        (dict(backoff_factor=0.0), ValueError),
        (dict(growth_interval=0), ValueError),
    ],
)
def test_update_scale_refuses_bad_input(kwargs, error):
    arguments = dict(scale=2.0, growth_tracker=0, found_inf=False) | kwargs
    with pytest.raises(error, match=next(iter(kwargs))):
        precision.update_scale(**arguments)


# ----------------------------------------------------------- DynamicLossScaler


def _parameters_with_gradients(values):
    """One parameter per value, whose gradient is that value (inf for overflow)."""
    params = [torch.nn.Parameter(torch.zeros(3)) for _ in values]
    for param, value in zip(params, values):
        param.grad = torch.full((3,), value)
    return params


@pytest.mark.parametrize("growth_interval", [1, 3])
def test_scaler_follows_gradscaler_on_a_pattern_of_overflows(growth_interval):
    pattern = [False, True, False, False, False, True, True, False, False, False]
    args = dict(init_scale=2.0**10, growth_interval=growth_interval)
    ours, theirs = (
        precision.DynamicLossScaler(**args),
        torch.amp.GradScaler("cpu", **args),
    )
    for overflow in pattern:
        scales = []
        for scaler in (ours, theirs):
            params = _parameters_with_gradients([math.inf if overflow else 1.0])
            optimizer = torch.optim.SGD(params, lr=0.1)
            scaler.scale(torch.ones(()))  # GradScaler creates its scale lazily
            scaler.step(optimizer)
            scaler.update()
            scales.append(scaler.get_scale())
            assert torch.equal(params[0], torch.zeros(3)) == overflow
        assert scales[0] == scales[1]
        assert ours.last_step_skipped == overflow
    assert ours.state_dict() == theirs.state_dict()


def test_scaler_matches_gradscaler_step_for_step_in_float16_training():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4)
    )
    twin = copy.deepcopy(model)
    x, y = torch.randn(32, 8), torch.randint(0, 4, (32,))
    args = dict(init_scale=2.0**24, growth_interval=2)
    runs = []
    for net, scaler in (
        (model, precision.DynamicLossScaler(**args)),
        (twin, torch.amp.GradScaler("cpu", **args)),
    ):
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        scales = []
        for _ in range(12):
            with torch.autocast("cpu", dtype=torch.float16):
                loss = F.cross_entropy(net(x), y)
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            scaler.step(optimizer)
            scaler.update()
            scales.append(scaler.get_scale())
        runs.append(scales)
    assert runs[0] == runs[1]
    assert runs[0][0] < 2.0**24  # it did overflow and back off
    assert all(
        torch.equal(a, b) for a, b in zip(model.parameters(), twin.parameters())
    )


def test_scale_multiplies_by_a_float32_scale():
    scaler = precision.DynamicLossScaler(init_scale=4.0)
    assert scaler.scale(torch.tensor(1.5)).item() == 6.0
    assert (
        scaler.scale(torch.tensor(1.5, dtype=torch.float16)).dtype == torch.float32
    )


def test_state_dict_is_interchangeable_with_gradscaler():
    ours = precision.DynamicLossScaler(init_scale=256.0, growth_interval=7)
    ours.load_state_dict(
        {
            "scale": 128.0,
            "growth_factor": 3.0,
            "backoff_factor": 0.25,
            "growth_interval": 5,
            "_growth_tracker": 2,
        }
    )
    theirs = torch.amp.GradScaler("cpu")
    theirs.load_state_dict(ours.state_dict())
    assert theirs.state_dict() == ours.state_dict()
    back = precision.DynamicLossScaler()
    back.load_state_dict(theirs.state_dict())
    assert back.state_dict() == ours.state_dict()
    assert back.get_scale() == 128.0


def test_disabled_scaler_passes_everything_through():
    scaler = precision.DynamicLossScaler(enabled=False)
    loss = torch.tensor(2.0)
    assert scaler.scale(loss) is loss
    params = _parameters_with_gradients([math.inf])
    optimizer = torch.optim.SGD(params, lr=1.0)
    scaler.step(optimizer)  # no check: the step is taken
    assert not torch.isfinite(params[0]).any()
    scaler.update()
    assert scaler.get_scale() == 1.0 and not scaler.is_enabled()
    assert scaler.state_dict() == {}
    scaler.load_state_dict({})  # a no-op, as GradScaler's
    assert "enabled=False" in repr(scaler)


def test_min_scale_stops_a_collapsing_scale():
    scaler = precision.DynamicLossScaler(init_scale=8.0, min_scale=1.0)
    with pytest.raises(FloatingPointError, match="NaN or inf in the data"):
        for _ in range(10):
            params = _parameters_with_gradients([math.nan])
            scaler.step(torch.optim.SGD(params, lr=0.1))
            scaler.update()
    assert scaler.get_scale() == 0.5


def test_scaler_refuses_misuse():
    scaler = precision.DynamicLossScaler()
    optimizer = torch.optim.SGD(_parameters_with_gradients([1.0]), lr=0.1)
    with pytest.raises(RuntimeError, match="needs a step first"):
        scaler.update()
    scaler.unscale_(optimizer)
    with pytest.raises(RuntimeError, match="divided twice"):
        scaler.unscale_(optimizer)
    scaler.step(optimizer)
    with pytest.raises(RuntimeError, match="already called"):
        scaler.step(optimizer)
    with pytest.raises(RuntimeError, match="after step"):
        scaler.unscale_(optimizer)
    scaler.update()
    with pytest.raises(RuntimeError, match="closure"):
        scaler.step(optimizer, closure=lambda: 0.0)


def test_scaler_refuses_float16_and_sparse_gradients():
    scaler = precision.DynamicLossScaler()
    param = torch.nn.Parameter(torch.zeros(3, dtype=torch.float16))
    param.grad = torch.ones(3, dtype=torch.float16)
    with pytest.raises(ValueError, match="float16 gradient"):
        scaler.unscale_(torch.optim.SGD([param], lr=0.1))
    sparse = torch.nn.Parameter(torch.zeros(3))
    sparse.grad = torch.zeros(3).to_sparse()
    with pytest.raises(TypeError, match="sparse"):
        scaler.unscale_(torch.optim.SGD([sparse], lr=0.1))


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        (dict(init_scale=0.0), ValueError, "init_scale"),
        (dict(init_scale=float("nan")), ValueError, "init_scale"),
        (dict(growth_factor=0.5), ValueError, "growth_factor"),
        (dict(backoff_factor=2.0), ValueError, "backoff_factor"),
        (dict(growth_interval=2.5), TypeError, "growth_interval"),
        (dict(enabled="yes"), TypeError, "enabled"),
        (dict(min_scale=-1.0), ValueError, "min_scale"),
    ],
)
def test_scaler_constructor_refuses_bad_input(kwargs, error, name):
    with pytest.raises(error, match=name):
        precision.DynamicLossScaler(**kwargs)


def test_scaler_methods_refuse_bad_arguments():
    scaler = precision.DynamicLossScaler()
    with pytest.raises(TypeError, match="loss must be a tensor"):
        scaler.scale(1.0)
    with pytest.raises(TypeError, match="optimizer must be an optimizer"):
        scaler.unscale_("sgd")
    with pytest.raises(TypeError, match="state_dict must be a dict"):
        scaler.load_state_dict([("scale", 1.0)])
    with pytest.raises(ValueError, match="empty"):
        scaler.load_state_dict({})
    with pytest.raises(ValueError, match="lacks _growth_tracker"):
        scaler.load_state_dict(
            {
                "scale": 1.0,
                "growth_factor": 2.0,
                "backoff_factor": 0.5,
                "growth_interval": 3,
            }
        )
    good = scaler.state_dict()
    with pytest.raises(ValueError, match=r"state_dict\['scale'\]"):
        scaler.load_state_dict(good | {"scale": -1.0})
    with pytest.raises(ValueError, match="growth_factor"):
        scaler.load_state_dict(good | {"growth_factor": 1.0})
    assert scaler.state_dict() == good  # nothing half-loaded


# ------------------------------------------------------------ ActivationMeter


def _mlp(width=16, depth=3, inputs=8):
    torch.manual_seed(0)
    layers = []
    for i in range(depth):
        layers += [
            torch.nn.Linear(inputs if i == 0 else width, width),
            torch.nn.ReLU(),
        ]
    return torch.nn.Sequential(*layers, torch.nn.Linear(width, 4))


def test_meter_counts_an_mlps_activations_exactly():
    model, x = _mlp(), torch.randn(5, 8)
    with precision.ActivationMeter(model.parameters()) as meter:
        model(x)
    # the input and each ReLU output, once each (a ReLU's output is also saved
    # by the next layer), in float32
    assert meter.activation_bytes == 4 * 5 * (8 + 3 * 16)
    # transposed weights of layers 2..4 (the first needs no input gradient)
    assert meter.parameter_bytes == 4 * (16 * 16 * 2 + 16 * 4)
    assert any(r.is_parameter for r in meter.records)
    assert {r.dtype for r in meter.records} == {"float32"}


def test_meter_sees_autocast_weight_copies():
    model, x = _mlp(), torch.randn(5, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        with precision.ActivationMeter(model.parameters()) as meter:
            model(x)
    copies = 2 * (16 * 16 * 2 + 16 * 4)
    assert meter.activation_bytes == 2 * 5 * (8 + 3 * 16) + copies
    assert meter.parameter_bytes == 0


def test_meter_sees_only_the_inputs_of_a_checkpointed_region():
    model, x = _mlp(), torch.randn(5, 8, requires_grad=True)
    with precision.ActivationMeter(model.parameters()) as meter:
        checkpoint(model, x, use_reentrant=False)
    assert meter.activation_bytes == x.nbytes


def test_meter_counts_nothing_without_autograd():
    model = _mlp()
    with torch.no_grad(), precision.ActivationMeter(model.parameters()) as meter:
        model(torch.randn(5, 8))
    assert meter.records == [] and meter.activation_bytes == 0
    assert "0 activation bytes" in repr(meter)


def test_meter_accepts_one_tensor_and_refuses_bad_input():
    weight = torch.nn.Parameter(torch.randn(3, 3))
    x = torch.randn(2, 3, requires_grad=True)
    with precision.ActivationMeter(weight) as meter:
        (x @ weight).sum()
    assert meter.parameter_bytes == weight.nbytes
    assert meter.activation_bytes == x.nbytes
    with pytest.raises(TypeError, match="iterable of tensors"):
        precision.ActivationMeter(3)
    with pytest.raises(TypeError, match=r"parameters\[1\]"):
        precision.ActivationMeter([weight, "w"])
    meter = precision.ActivationMeter()
    with meter, pytest.raises(RuntimeError, match="already in use"):
        meter.__enter__()


# ----------------------------------------------------------- describe_hardware


def test_describe_hardware_reads_this_machine():
    hardware = precision.describe_hardware()
    assert hardware.cores >= 1 and hardware.simd
    assert hardware.cpu_bf16 in (True, False, None)
    if torch.cuda.is_available():
        assert hardware.cuda_name and hardware.cuda_capability is not None
    else:
        assert hardware.cuda_name is None and hardware.cuda_bf16 is None
    assert str(hardware).startswith("CPU: ")


def test_hardware_describes_a_cuda_device():
    hardware = precision.Hardware(
        cpu_name="x",
        architecture="x86_64",
        cores=4,
        simd="AVX2",
        cpu_bf16=None,
        cpu_amx=False,
        cpu_fp16=False,
        cuda_name="A GPU",
        cuda_capability=(8, 0),
        cuda_bf16=True,
        cuda_tf32=True,
    )
    text = str(hardware)
    assert "compute capability 8.0" in text and "TF32: yes" in text
    assert "bfloat16 instructions: unknown" in text
