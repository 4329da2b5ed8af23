"""Low-precision training helpers: loss scaling, activation memory, hardware.

The chapter "Numbers, memory and hardware" derives them; the capstone can
train with them::

    from mlcourse import precision

    scaler = precision.DynamicLossScaler()  # the same state as torch's GradScaler
    with torch.autocast(device, dtype=torch.float16):
        loss = loss_fn(model(x), y)
    scaler.scale(loss).backward()
    scaler.step(optimizer)  # skipped when a gradient is inf or NaN
    scaler.update()  # halve the scale after a skip, double it after N clean steps
    checkpoint["scaler"] = scaler.state_dict()

    with precision.ActivationMeter(model.parameters()) as meter:
        loss = loss_fn(model(x), y)
    meter.activation_bytes  # what autograd keeps for the backward pass

- :mod:`mlcourse.precision.scaling`: :func:`update_scale` (the rule) and
  :class:`DynamicLossScaler` (GradScaler's interface and state);
- :mod:`mlcourse.precision.memory`: :class:`ActivationMeter`, which counts
  the bytes saved for backward through ``saved_tensors_hooks``;
- :mod:`mlcourse.precision.hardware`: :func:`describe_hardware`, bfloat16
  and float16 instructions of the CPU, the CUDA device and what it supports.

Importing this package imports no framework.
"""

from mlcourse.precision.hardware import Hardware, describe_hardware
from mlcourse.precision.memory import ActivationMeter, SavedTensor
from mlcourse.precision.scaling import STATE_KEYS, DynamicLossScaler, update_scale

__all__ = [
    "STATE_KEYS",
    "ActivationMeter",
    "DynamicLossScaler",
    "Hardware",
    "SavedTensor",
    "describe_hardware",
    "update_scale",
]
