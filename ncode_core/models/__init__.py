"""Continuous-time models: the baselines and N-CODE, and the field builders tasks supply."""

from ncode_core.models.augmented import ChannelAugmentedFlow
from ncode_core.models.base import FlowModel, SelectDims, TaskModel, Trajectory, parameter_count
from ncode_core.models.conv_builder import ConvFieldBuilder
from ncode_core.models.factory import FLOW_MODELS, MODEL_FAMILIES, build_flow
from ncode_core.models.field_builders import (
    ControlledField,
    FieldBuilder,
    MLPFieldBuilder,
    Shape,
    flat_size,
)
from ncode_core.models.info import ModelInfo
from ncode_core.models.episodic import ODERNN, EpisodicFlow, LSTMBaseline, PlasticNCODE
from ncode_core.models.ncode import ClosedLoopNCODE, OpenLoopNCODE
from ncode_core.models.node import ANODE, NODE, DataControlledNODE

__all__ = [
    "FLOW_MODELS",
    "MODEL_FAMILIES",
    "ANODE",
    "ChannelAugmentedFlow",
    "ClosedLoopNCODE",
    "ControlledField",
    "ConvFieldBuilder",
    "DataControlledNODE",
    "FieldBuilder",
    "EpisodicFlow",
    "LSTMBaseline",
    "FlowModel",
    "MLPFieldBuilder",
    "ModelInfo",
    "NODE",
    "ODERNN",
    "OpenLoopNCODE",
    "PlasticNCODE",
    "SelectDims",
    "Shape",
    "TaskModel",
    "Trajectory",
    "build_flow",
    "flat_size",
    "parameter_count",
]
