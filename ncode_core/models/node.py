"""Baselines with shared weights: NODE, ANODE (Dupont et al. 2019), data-controlled NODE
(Massaroli et al. 2020). Each wraps the field architecture its task supplies."""

from __future__ import annotations

import torch
from torch import Tensor

from ncode_core.config import ModelConfig, SolverConfig
from ncode_core.dynamics.system import AutonomousSystem, DataControlledSystem
from ncode_core.models.base import FlowModel
from ncode_core.models.field_builders import FieldBuilder, Shape
from ncode_core.models.info import ModelInfo


class NODE(FlowModel):
    """``dx/dt = f(x)``; state ``(x,)`` with x ``(B, *shape)``. Cannot cross trajectories."""

    family = "node"
    info = ModelInfo("NODE", ("hidden", "integration_time"))

    def __init__(self, field: torch.nn.Module, solver: SolverConfig, integration_time: float):
        super().__init__(AutonomousSystem(field), solver, integration_time)

    @classmethod
    def build(cls, fields: FieldBuilder, shape: Shape, config: ModelConfig,
              solver: SolverConfig) -> "NODE":
        return cls(fields.shared_field(shape, shape), solver, config.integration_time)

    def initial_state(self, x0: Tensor) -> tuple[Tensor, ...]:
        return (x0,)


class ANODE(FlowModel):
    """NODE on ``[x, 0]``: ``augment_dim`` zero features (or channels) appended along the first
    per-sample axis; x ``(B, shape[0] + a, *shape[1:])``."""

    family = "anode"
    info = ModelInfo("ANODE", ("hidden", "augment_dim", "integration_time"))

    def __init__(self, field: torch.nn.Module, augment_dim: int, solver: SolverConfig,
                 integration_time: float):
        super().__init__(AutonomousSystem(field), solver, integration_time)
        self.augment_dim = augment_dim

    @classmethod
    def build(cls, fields: FieldBuilder, shape: Shape, config: ModelConfig,
              solver: SolverConfig) -> "ANODE":
        augmented = (shape[0] + config.augment_dim, *shape[1:])
        return cls(fields.shared_field(augmented, augmented), config.augment_dim, solver,
                   config.integration_time)

    def state_shape(self, data_shape: Shape) -> Shape:
        return (data_shape[0] + self.augment_dim, *data_shape[1:])

    def initial_state(self, x0: Tensor) -> tuple[Tensor, ...]:
        zeros = x0.new_zeros(x0.shape[0], self.augment_dim, *x0.shape[2:])
        return (torch.cat([x0, zeros], dim=1),)


class DataControlledNODE(FlowModel):
    """``dx/dt = f([x, x(0)])`` (NODE-DC), x(0) concatenated along the first per-sample axis;
    state ``(x, x0)``, x0 carried unchanged."""

    family = "node_dc"
    info = ModelInfo("NODE-DC (data-controlled)", ("hidden", "integration_time"))

    def __init__(self, field: torch.nn.Module, solver: SolverConfig, integration_time: float):
        super().__init__(DataControlledSystem(field), solver, integration_time)

    @classmethod
    def build(cls, fields: FieldBuilder, shape: Shape, config: ModelConfig,
              solver: SolverConfig) -> "DataControlledNODE":
        doubled = (2 * shape[0], *shape[1:])
        return cls(fields.shared_field(doubled, shape), solver, config.integration_time)

    def initial_state(self, x0: Tensor) -> tuple[Tensor, ...]:
        return (x0, x0)
