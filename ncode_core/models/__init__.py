"""Continuous-time models: the baselines and N-CODE."""

from ncode_core.models.base import FlowModel, SelectDims, TaskModel, Trajectory
from ncode_core.models.ncode import ClosedLoopNCODE, OpenLoopNCODE
from ncode_core.models.node import ANODE, NODE, DataControlledNODE

__all__ = [
    "ANODE",
    "ClosedLoopNCODE",
    "DataControlledNODE",
    "FlowModel",
    "NODE",
    "OpenLoopNCODE",
    "SelectDims",
    "TaskModel",
    "Trajectory",
]
