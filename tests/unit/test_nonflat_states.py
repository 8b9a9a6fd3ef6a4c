"""Non-flat states: every model family runs on ``(B, C, H, W)`` states around a field the task
supplies (here a 1x1 convolution and a per-sample channel mixing, built in the test), with finite
gradients, and its adjoint gradients equal direct backprop in float64 (Theorem 1)."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from ncode_core.config import ModelConfig, SolverConfig
from ncode_core.dynamics import QuadraticCost
from ncode_core.models import MODEL_FAMILIES, MLPFieldBuilder, SelectDims, TaskModel, build_flow

SHAPE = (2, 3, 3)  # (C, H, W)
BATCH = 4
TIGHT = SolverConfig(method="dopri5", rtol=1e-10, atol=1e-10)
SMALL = ModelConfig(gamma_hidden=3, law_hidden=5, augment_dim=1, theta0="gamma")


class ConvField(nn.Module):
    """Shared weights: ``tanh(conv1x1(x))``, ``(B, C_in, H, W) -> (B, C_out, H, W)``."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        return torch.tanh(self.conv(x))


class ChannelMixingField(nn.Module):
    """Per-sample ``tanh(A x + b)`` over channels: theta ``(B, C*C + C)`` holds A then b."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.theta_size = channels * channels + channels

    def forward(self, x: Tensor, theta: Tensor) -> Tensor:
        c = self.channels
        mixing = theta[:, : c * c].reshape(-1, c, c)
        bias = theta[:, c * c:].reshape(-1, c, 1, 1)
        return torch.tanh(torch.einsum("bij,bjhw->bihw", mixing, x) + bias)

    def initial_theta(self, generator: torch.Generator | None = None) -> Tensor:
        return 0.3 * torch.randn(self.theta_size, generator=generator)


class ImageFields:
    """A FieldBuilder for ``(C, H, W)`` states (channels along the first per-sample axis)."""

    def shared_field(self, in_shape, out_shape) -> nn.Module:
        assert in_shape[1:] == out_shape[1:] == SHAPE[1:]
        return ConvField(in_shape[0], out_shape[0])

    def controlled_field(self, shape) -> ChannelMixingField:
        return ChannelMixingField(shape[0])


def image_model(family: str) -> TaskModel:
    torch.manual_seed(0)
    flow = build_flow(family, ImageFields(), SHAPE, SMALL, TIGHT)
    return TaskModel(flow, SelectDims(5)).double()


def loss_of(model: TaskModel, x0: Tensor) -> Tensor:
    output, trajectory = model(x0)
    return output.pow(2).sum() + trajectory.x[-1].sin().sum()


@pytest.mark.parametrize("family", MODEL_FAMILIES)
def test_every_family_runs_on_image_states(family):
    model = image_model(family)
    x0 = torch.randn(BATCH, *SHAPE, dtype=torch.float64)
    output, trajectory = model(x0)
    state = model.flow.state_shape(SHAPE)
    assert trajectory.x.shape == (2, BATCH, *state)
    assert output.shape == (BATCH, 5)
    assert state == ((SHAPE[0] + SMALL.augment_dim, *SHAPE[1:]) if family == "anode" else SHAPE)
    loss_of(model, x0).backward()
    grads = [p.grad for p in model.parameters()]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("family", MODEL_FAMILIES)
def test_adjoint_equals_direct_on_image_states(family):
    model = image_model(family)
    model.flow.system.running_cost = QuadraticCost(x_weight=0.3, theta_weight=0.2)
    x0 = torch.randn(BATCH, *SHAPE, dtype=torch.float64)

    def gradients() -> dict[str, Tensor]:
        model.zero_grad(set_to_none=True)
        output, trajectory = model(x0)
        (output.pow(2).sum() + trajectory.cost.sum()).backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    direct = gradients()
    model.flow.solver = TIGHT.model_copy(update={"adjoint": True})
    adjoint = gradients()
    assert direct and direct.keys() == adjoint.keys()
    for name in direct:
        assert torch.allclose(adjoint[name], direct[name], rtol=1e-5, atol=1e-9), name


def test_running_cost_sums_over_every_axis_of_the_state():
    x = torch.randn(BATCH, *SHAPE, dtype=torch.float64)
    cost = QuadraticCost(x_weight=2.0)(torch.tensor(0.0), x, ())
    assert torch.allclose(cost, 2.0 * x.pow(2).sum(dim=(1, 2, 3)))


def test_open_loop_gamma_reads_the_whole_image():
    """gamma flattens the sample: changing one pixel changes that sample's theta(0) only."""
    model = image_model("ncode_open")
    x0 = torch.randn(BATCH, *SHAPE, dtype=torch.float64)
    changed = x0.clone()
    changed[1, 1, 2, 2] += 1.0
    code, changed_code = model.flow.gamma(x0), model.flow.gamma(changed)
    assert code.shape == (BATCH, SMALL.gamma_hidden)
    assert not torch.allclose(code[1], changed_code[1])
    assert torch.equal(code[[0, 2, 3]], changed_code[[0, 2, 3]])


def test_mlp_field_refuses_non_flat_states_with_a_clear_error():
    with pytest.raises(ValueError, match="flat states"):
        build_flow("node", MLPFieldBuilder(8), SHAPE, SMALL, TIGHT)


def test_unknown_family_is_refused():
    with pytest.raises(ValueError, match="unknown model family"):
        build_flow("lstm", ImageFields(), SHAPE, SMALL, TIGHT)
