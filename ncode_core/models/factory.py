"""Build any model family around the MLP vector field used by the toy tasks."""

from __future__ import annotations

import torch

from ncode_core.config import ModelConfig, SolverConfig
from ncode_core.dynamics.controllers import ConstantCode, Gamma, MLPControlLaw, ThetaDecoder
from ncode_core.dynamics.fields import PerSampleMLPField
from ncode_core.models.base import FlowModel
from ncode_core.models.ncode import ClosedLoopNCODE, OpenLoopNCODE
from ncode_core.models.node import ANODE, NODE, DataControlledNODE

MLP_FAMILIES = ("node", "anode", "node_dc", "ncode_open", "ncode_closed")


def build_mlp_flow(family: str, dim: int, config: ModelConfig, solver: SolverConfig) -> FlowModel:
    """A flow on ``R^dim`` whose field is an MLP with ``config.hidden`` units.

    For N-CODE the MLP's weights are the per-sample theta (``PerSampleMLPField``), decoded by
    linear heads from a control code of ``gamma_hidden`` units: gamma's hidden layer sets the
    code from x(0) and the closed-loop law (width ``law_hidden``) evolves it. Parameters are
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
    decoder = ThetaDecoder(code, field.initial_theta())
    if family == "ncode_open":
        return OpenLoopNCODE(field, Gamma(dim, code), decoder, solver, time)
    if family == "ncode_closed":
        law = MLPControlLaw(code, dim, config.law_hidden)
        initial = Gamma(dim, code) if config.theta0 == "gamma" else ConstantCode(torch.zeros(code))
        return ClosedLoopNCODE(field, law, initial, decoder, solver, time)
    raise ValueError(f"unknown model family {family!r}; choose one of {MLP_FAMILIES}")
