"""Small models several chapters train on the digits data.

Chapters that teach how a model is built build it themselves; this module
holds the plain network that serves as the common test subject.
"""

from __future__ import annotations

from mlcourse.validation import check_int, check_torch_device


def digits_mlp(seed: int = 0, *, hidden: int = 32, device: str = "cpu"):
    """A PyTorch MLP for the digits: 64 pixels -> `hidden` ReLU units -> 10 logits.

    The weights are drawn right after ``torch.manual_seed(seed)``, so the same
    seed gives the same initial weights, which is how chapters compare two
    runs that differ in one thing only (the loss, the optimizer, the batch
    size). Used by the losses, gradient-descent and optimizers chapters.
    """
    seed = check_int("seed", seed, low=0, high=2**63 - 1)
    hidden = check_int("hidden", hidden, low=1)
    device = check_torch_device("device", device)
    import torch

    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)
    )
    return model.to(device)
