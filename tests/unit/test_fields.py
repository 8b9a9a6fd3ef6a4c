"""Per-sample fields and control laws against straightforward references (float64)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ncode_core.dynamics import HebbianLaw, LinearField, PerSampleMLPField, ThetaDecoder
from ncode_core.dynamics.fields import ELEMENTWISE_MAX_DIM


@pytest.mark.parametrize("dim", [1, 3, ELEMENTWISE_MAX_DIM + 2])  # both evaluation paths
def test_per_sample_mlp_field_equals_one_mlp_per_sample(float64, dim):
    field = PerSampleMLPField(dim=dim, hidden=5)
    theta = torch.randn(4, field.theta_size)
    x = torch.randn(4, dim)
    batched = field(x, theta)
    for index in range(4):
        w1, b1, w2, b2 = (t[index] for t in field.unpack(theta))
        reference = nn.Sequential(nn.Linear(dim, 5), nn.Tanh(), nn.Linear(5, dim))
        with torch.no_grad():
            reference[0].weight.copy_(w1), reference[0].bias.copy_(b1)
            reference[2].weight.copy_(w2), reference[2].bias.copy_(b2)
        assert torch.allclose(batched[index], reference(x[index]), atol=1e-12)


def test_theta_decoder_starts_at_its_base_and_is_affine(float64):
    base = torch.randn(7)
    decoder = ThetaDecoder(3, base)
    assert torch.allclose(decoder(torch.zeros(2, 3)), base.expand(2, -1))
    u, v = torch.randn(3), torch.randn(3)
    assert torch.allclose(decoder(u + v) - decoder(v), decoder(u) - base, atol=1e-12)


def test_hebbian_law_is_gain_times_outer_product(float64):
    law = HebbianLaw(3)
    with torch.no_grad():
        law.mu.copy_(torch.arange(9.0).reshape(3, 3))
    x = torch.randn(2, 3)
    rate = law(torch.tensor(0.0), x, torch.zeros(2, 9)).reshape(2, 3, 3)
    for index in range(2):
        assert torch.allclose(rate[index], law.mu * torch.outer(x[index], x[index]))


def test_linear_field_applies_each_samples_matrix(float64):
    field = LinearField(2)
    theta = torch.tensor([[0.0, 1.0, -1.0, 0.0], [2.0, 0.0, 0.0, 3.0]])
    x = torch.tensor([[1.0, 2.0], [1.0, 1.0]])
    assert torch.allclose(field(x, theta), torch.tensor([[2.0, -1.0], [2.0, 3.0]]))
