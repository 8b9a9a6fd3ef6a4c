"""Baselines with shared weights: NODE, ANODE (Dupont et al. 2019), data-controlled NODE
(Massaroli et al. 2020)."""

from __future__ import annotations

import torch
from torch import Tensor

from ncode_core.config import SolverConfig
from ncode_core.dynamics.fields import SharedMLPField
from ncode_core.dynamics.system import AutonomousSystem, DataControlledSystem
from ncode_core.models.base import FlowModel
from ncode_core.models.info import ModelInfo


class NODE(FlowModel):
    """``dx/dt = f(x)``; state ``(x,)`` with x ``(B, d)``. Cannot cross trajectories."""

    family = "node"
    info = ModelInfo("NODE", ("hidden", "integration_time"))

    def __init__(self, field: torch.nn.Module, solver: SolverConfig, integration_time: float):
        super().__init__(AutonomousSystem(field), solver, integration_time)

    @classmethod
    def mlp(cls, dim: int, hidden: int, solver: SolverConfig, integration_time: float) -> "NODE":
        """NODE with an MLP field of the given hidden width."""
        return cls(SharedMLPField(dim, dim, hidden), solver, integration_time)

    def initial_state(self, x0: Tensor) -> tuple[Tensor, ...]:
        return (x0,)


class ANODE(FlowModel):
    """NODE on ``[x, 0]``: ``augment_dim`` zero dimensions appended; x ``(B, d + a)``."""

    family = "anode"
    info = ModelInfo("ANODE", ("hidden", "augment_dim", "integration_time"))

    def __init__(self, field: torch.nn.Module, augment_dim: int, solver: SolverConfig,
                 integration_time: float):
        super().__init__(AutonomousSystem(field), solver, integration_time)
        self.augment_dim = augment_dim

    @classmethod
    def mlp(cls, dim: int, augment_dim: int, hidden: int, solver: SolverConfig,
            integration_time: float) -> "ANODE":
        """ANODE with an MLP field on the augmented space."""
        size = dim + augment_dim
        return cls(SharedMLPField(size, size, hidden), augment_dim, solver, integration_time)

    def initial_state(self, x0: Tensor) -> tuple[Tensor, ...]:
        return (torch.cat([x0, x0.new_zeros(x0.shape[0], self.augment_dim)], dim=1),)


class DataControlledNODE(FlowModel):
    """``dx/dt = f([x, x(0)])`` (NODE-DC); state ``(x, x0)``, x0 carried unchanged."""

    family = "node_dc"
    info = ModelInfo("NODE-DC (data-controlled)", ("hidden", "integration_time"))

    def __init__(self, field: torch.nn.Module, solver: SolverConfig, integration_time: float):
        super().__init__(DataControlledSystem(field), solver, integration_time)

    @classmethod
    def mlp(cls, dim: int, hidden: int, solver: SolverConfig,
            integration_time: float) -> "DataControlledNODE":
        """NODE-DC whose MLP field reads ``2 * dim`` inputs."""
        return cls(SharedMLPField(2 * dim, dim, hidden), solver, integration_time)

    def initial_state(self, x0: Tensor) -> tuple[Tensor, ...]:
        return (x0, x0)
