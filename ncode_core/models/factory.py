"""Build any model family around the MLP vector field used by the toy tasks."""

from __future__ import annotations

import torch
from torch import nn

from ncode_core.config import ModelConfig, SolverConfig
from ncode_core.dynamics.controllers import ConstantCode, Gamma, MLPControlLaw, ThetaDecoder
from ncode_core.dynamics.fields import PerSampleMLPField
from ncode_core.models.base import FlowModel
from ncode_core.models.ncode import ClosedLoopNCODE, OpenLoopNCODE
from ncode_core.models.node import ANODE, NODE, DataControlledNODE

MLP_FAMILIES = ("node", "anode", "node_dc", "ncode_open", "ncode_closed")
# Initial scale of the full closed-loop law's output layer (dtheta/dt acts on every weight
# directly, so it starts as small as the code form's decoder heads).
FULL_LAW_SCALE = 0.1


def build_mlp_flow(family: str, dim: int, config: ModelConfig, solver: SolverConfig) -> FlowModel:
    """A flow on ``R^dim`` whose field is an MLP with ``config.hidden`` units.

    For N-CODE the MLP's weights are the per-sample theta (``PerSampleMLPField``). gamma is the
    paper's two-layer perceptron: ``gamma_hidden`` tanh units, then linear heads to theta. Open
    loop and ``model.control=code`` keep gamma's hidden units u as ODE state and decode theta from
    them; ``model.control=full`` (closed loop) evolves all of theta with a law of width
    ``law_hidden``, from a learned theta(0) or ``gamma(x(0))`` (``model.theta0``). Parameters are
    drawn from torch's global RNG, so seed it first.
    """
    time = config.integration_time
    if family == "node":
        return NODE.mlp(dim, config.hidden, solver, time)
    if family == "anode":
        return ANODE.mlp(dim, config.augment_dim, config.hidden, solver, time)
    if family == "node_dc":
        return DataControlledNODE.mlp(dim, config.hidden, solver, time)
    field = PerSampleMLPField(dim, config.hidden)
    code = config.gamma_hidden
    theta_base = field.initial_theta()
    decoder = ThetaDecoder(code, theta_base)
    if family == "ncode_open":
        return OpenLoopNCODE(field, Gamma(dim, code), decoder, solver, time)
    if family != "ncode_closed":
        raise ValueError(f"unknown model family {family!r}; choose one of {MLP_FAMILIES}")
    if config.control == "code":
        law = MLPControlLaw(code, dim, config.law_hidden)
        initial = Gamma(dim, code) if config.theta0 == "gamma" else ConstantCode(torch.zeros(code))
        return ClosedLoopNCODE(field, law, initial, decoder, solver, time)
    law = MLPControlLaw(field.theta_size, dim, config.law_hidden, output_scale=FULL_LAW_SCALE)
    if config.theta0 == "gamma":
        initial = nn.Sequential(Gamma(dim, code), decoder)
    else:
        initial = ConstantCode(theta_base)
    return ClosedLoopNCODE(field, law, initial, None, solver, time)
