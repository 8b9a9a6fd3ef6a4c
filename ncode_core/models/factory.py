"""The model families in one list, and the one builder that wraps a task's field in a family."""

from __future__ import annotations

from ncode_core.config import ModelConfig, SolverConfig
from ncode_core.models.base import FlowModel
from ncode_core.models.field_builders import FieldBuilder, Shape
from ncode_core.models.ncode import ClosedLoopNCODE, OpenLoopNCODE
from ncode_core.models.node import ANODE, NODE, DataControlledNODE

FLOW_MODELS: tuple[type[FlowModel], ...] = (
    NODE, ANODE, DataControlledNODE, OpenLoopNCODE, ClosedLoopNCODE,
)
MODEL_FAMILIES: tuple[str, ...] = tuple(cls.family for cls in FLOW_MODELS)
_BY_FAMILY = {cls.family: cls for cls in FLOW_MODELS}


def build_flow(family: str, fields: FieldBuilder, shape: Shape, config: ModelConfig,
               solver: SolverConfig) -> FlowModel:
    """The flow of ``family`` on states ``(B, *shape)`` around the field ``fields`` builds.

    Parameters are drawn from torch's global RNG, so seed it first.
    """
    if family not in _BY_FAMILY:
        raise ValueError(f"unknown model family {family!r}; choose one of {MODEL_FAMILIES}")
    return _BY_FAMILY[family].build(fields, tuple(shape), config, solver)
