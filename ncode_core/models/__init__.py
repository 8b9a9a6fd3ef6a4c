"""Continuous-time models: the baselines and N-CODE."""

from ncode_core.models.base import FlowModel, SelectDims, TaskModel, Trajectory, parameter_count
from ncode_core.models.ncode import ClosedLoopNCODE, OpenLoopNCODE
from ncode_core.models.node import ANODE, NODE, DataControlledNODE

MODEL_FAMILIES = tuple(cls.family for cls in (NODE, ANODE, DataControlledNODE, OpenLoopNCODE,
                                             ClosedLoopNCODE))

__all__ = [
    "MODEL_FAMILIES",
    "ANODE",
    "ClosedLoopNCODE",
    "DataControlledNODE",
    "FlowModel",
    "NODE",
    "OpenLoopNCODE",
    "SelectDims",
    "TaskModel",
    "Trajectory",
    "parameter_count",
]
