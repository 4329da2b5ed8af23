"""What the machine offers for low-precision arithmetic: CPU instructions, CUDA.

The precision chapter prints it and explains its timings with it. PyTorch is
imported when :func:`describe_hardware` is called.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlcourse.runtime import usable_cores


@dataclass(frozen=True)
class Hardware:
    """What this machine offers for low-precision arithmetic.

    Returned by :func:`describe_hardware`.

    CPU fields are ``None`` where PyTorch cannot tell. `cpu_bf16` means
    instructions that compute in bfloat16 (AVX512-BF16 or AMX on x86, BF16 on
    Arm); without them bfloat16 is converted to float32 and back around each
    operation. The CUDA fields are ``None`` without a CUDA device.
    """

    cpu_name: str
    architecture: str
    cores: int
    simd: str
    cpu_bf16: bool | None
    cpu_amx: bool | None
    cpu_fp16: bool | None
    cuda_name: str | None = None
    cuda_capability: tuple[int, int] | None = None
    cuda_bf16: bool | None = None
    cuda_tf32: bool | None = None

    def __str__(self) -> str:
        def yes(value: bool | None) -> str:
            return {True: "yes", False: "no", None: "unknown"}[value]

        lines = [
            f"CPU: {self.cpu_name} ({self.architecture}, {self.cores} cores, "
            f"{self.simd} kernels)",
            f"  bfloat16 instructions: {yes(self.cpu_bf16)}, AMX: "
            f"{yes(self.cpu_amx)}, float16 instructions: {yes(self.cpu_fp16)}",
        ]
        if self.cuda_name is None:
            lines.append("CUDA: no device")
        else:
            major, minor = self.cuda_capability
            lines.append(
                f"CUDA: {self.cuda_name} (compute capability {major}.{minor}), "
                f"bfloat16: {yes(self.cuda_bf16)}, TF32: {yes(self.cuda_tf32)}"
            )
        return "\n".join(lines)


_CPU_FEATURES = {
    # what we report: the capability names PyTorch uses on x86 and on Arm
    "cpu_bf16": ("avx512_bf16", "amx_bf16", "bf16", "sve_bf16"),
    "cpu_amx": ("amx_bf16", "amx_tile"),
    "cpu_fp16": ("avx512_fp16", "amx_fp16", "fp16_arith"),
}


def describe_hardware() -> Hardware:
    """The CPU's low-precision instructions and the CUDA device, if any.

    Reads ``torch.cpu.get_capabilities()`` (with a PyTorch too old to have
    it, the CPU fields are ``None``) and ``torch.cuda``. A CUDA
    device computes TF32 from compute capability 8.0 (Ampere) on.
    """
    import platform

    import torch

    try:
        caps = dict(torch.cpu.get_capabilities())
    except AttributeError:  # an older PyTorch
        caps = {}
    features = {
        field: (any(bool(caps.get(name)) for name in names) if caps else None)
        for field, names in _CPU_FEATURES.items()
    }
    cores = usable_cores()
    cuda = {}
    if torch.cuda.is_available():
        capability = tuple(torch.cuda.get_device_capability(0))
        cuda = dict(
            cuda_name=torch.cuda.get_device_name(0),
            cuda_capability=capability,
            cuda_bf16=bool(torch.cuda.is_bf16_supported()),
            cuda_tf32=capability >= (8, 0),
        )
    return Hardware(
        cpu_name=str(caps.get("cpu_name") or platform.processor() or "unknown"),
        architecture=str(caps.get("architecture") or platform.machine()),
        cores=cores,
        simd=torch.backends.cpu.get_cpu_capability(),
        **features,
        **cuda,
    )
