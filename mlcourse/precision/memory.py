"""Measure the activations autograd saves for the backward pass.

Used by the precision chapter to check the activation-memory formula of a
training step, with and without checkpointing. PyTorch is imported when a
meter is created.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mlcourse.validation import check_type, describe


@dataclass(frozen=True)
class SavedTensor:
    """One tensor autograd saved for backward: its shape, dtype and storage.

    `nbytes` is the size of the whole storage it keeps alive; `is_parameter`
    says whether that storage is a parameter's (kept anyway, so not extra).
    """

    shape: tuple[int, ...]
    dtype: str
    nbytes: int
    storage: int
    is_parameter: bool


class ActivationMeter:
    """Count the bytes autograd saves for the backward pass inside a ``with`` block.

    Installs ``torch.autograd.graph.saved_tensors_hooks``: every tensor an
    operation saves for its backward passes through it and is recorded in
    :attr:`records`. Several saves of one storage (a ReLU's output is also
    the next layer's input) count once. Storages of the `parameters` given
    (and views of them, such as a transposed weight) are reported apart, in
    :attr:`parameter_bytes`: they exist anyway, while :attr:`activation_bytes`
    is memory held only until the backward pass. Tensors saved inside a
    region that has its own hooks (``torch.utils.checkpoint``) are not seen:
    that region keeps only its inputs. Used by the precision chapter.
    """

    def __init__(self, parameters: Iterable = ()) -> None:
        import torch

        if isinstance(parameters, torch.Tensor):
            parameters = [parameters]
        try:
            tensors = list(parameters)
        except TypeError:
            raise TypeError(
                "parameters must be an iterable of tensors such as "
                f"model.parameters(), got {describe(parameters)}"
            ) from None
        for index, tensor in enumerate(tensors):
            check_type(f"parameters[{index}]", tensor, torch.Tensor, "a tensor")
        self._parameter_storages = {_storage_key(t)[0] for t in tensors}
        self.records: list[SavedTensor] = []
        self._hooks = None

    def __enter__(self) -> ActivationMeter:
        import torch

        if self._hooks is not None:
            raise RuntimeError("this ActivationMeter is already in use")
        self.records = []
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, _unpack)
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        hooks, self._hooks = self._hooks, None
        hooks.__exit__(*exc_info)

    def _pack(self, tensor):
        storage, nbytes = _storage_key(tensor)
        self.records.append(
            SavedTensor(
                shape=tuple(tensor.shape),
                dtype=str(tensor.dtype).removeprefix("torch."),
                nbytes=nbytes,
                storage=storage,
                is_parameter=storage in self._parameter_storages,
            )
        )
        return tensor

    def _unique_bytes(self, parameters: bool) -> int:
        sizes = {
            r.storage: r.nbytes
            for r in self.records
            if r.is_parameter == parameters
        }
        return sum(sizes.values())

    @property
    def activation_bytes(self) -> int:
        """Bytes of the distinct non-parameter storages saved: the activations."""
        return self._unique_bytes(parameters=False)

    @property
    def parameter_bytes(self) -> int:
        """Bytes of the distinct parameter storages saved (no extra memory)."""
        return self._unique_bytes(parameters=True)

    def __repr__(self) -> str:
        return (
            f"ActivationMeter({len(self.records)} saved tensors, "
            f"{self.activation_bytes} activation bytes)"
        )


def _unpack(tensor):
    return tensor


def _storage_key(tensor) -> tuple[int, int]:
    """(an id of the memory `tensor` lives in, that memory's size in bytes)."""
    try:
        storage = tensor.untyped_storage()
        if storage.data_ptr() != 0:
            return storage.data_ptr(), storage.nbytes()
    except (RuntimeError, NotImplementedError):  # sparse and other layouts
        pass
    return id(tensor), tensor.numel() * tensor.element_size()
