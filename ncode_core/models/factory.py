"""Build any model family around the MLP vector field used by the toy tasks."""

from __future__ import annotations

from ncode_core.config import ModelConfig, SolverConfig
from ncode_core.dynamics.controllers import ConstantTheta0, Gamma, MLPControlLaw
from ncode_core.dynamics.fields import PerSampleMLPField
from ncode_core.models.base import FlowModel
from ncode_core.models.ncode import ClosedLoopNCODE, OpenLoopNCODE
from ncode_core.models.node import ANODE, NODE, DataControlledNODE

MLP_FAMILIES = ("node", "anode", "node_dc", "ncode_open", "ncode_closed")


def build_mlp_flow(family: str, dim: int, config: ModelConfig, solver: SolverConfig) -> FlowModel:
    """A flow on ``R^dim`` whose field is an MLP with ``config.hidden`` units.

    For N-CODE the MLP's weights are the per-sample theta (``PerSampleMLPField``); gamma and the
    closed-loop law are MLPs of widths ``gamma_hidden`` / ``law_hidden``. Parameters are drawn
    from torch's global RNG, so seed it first.
    """
    time = config.integration_time
    if family == "node":
        return NODE.mlp(dim, config.hidden, solver, time)
    if family == "anode":
        return ANODE.mlp(dim, config.augment_dim, config.hidden, solver, time)
    if family == "node_dc":
        return DataControlledNODE.mlp(dim, config.hidden, solver, time)
    field = PerSampleMLPField(dim, config.hidden)
    base = field.initial_theta()
    if family == "ncode_open":
        return OpenLoopNCODE(field, Gamma(dim, field.theta_size, config.gamma_hidden, base),
                             solver, time)
    if family == "ncode_closed":
        law = MLPControlLaw(field.theta_size, dim, config.law_hidden)
        if config.theta0 == "gamma":
            theta0 = Gamma(dim, field.theta_size, config.gamma_hidden, base)
        else:
            theta0 = ConstantTheta0(base)
        return ClosedLoopNCODE(field, law, theta0, solver, time)
    raise ValueError(f"unknown model family {family!r}; choose one of {MLP_FAMILIES}")
