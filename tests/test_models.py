"""Tests of mlcourse.models."""

import pytest
import torch

from mlcourse.models import digits_mlp


def test_same_seed_same_weights_other_seed_other_weights():
    a, b, c = digits_mlp(3), digits_mlp(3), digits_mlp(4)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        assert torch.equal(pa, pb)
        assert not torch.equal(pa, pc)


def test_shapes_and_logits():
    model = digits_mlp(hidden=16)
    assert [tuple(p.shape) for p in model.parameters()] == [
        (16, 64),
        (16,),
        (10, 16),
        (10,),
    ]
    assert model(torch.zeros(5, 64)).shape == (5, 10)


@pytest.mark.parametrize(
    "hidden, error",
    [(0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError)],
)
def test_bad_hidden_size_is_refused(hidden, error):
    with pytest.raises(error, match="hidden must be an integer"):
        digits_mlp(hidden=hidden)
