"""Vector fields f(x; theta) with per-sample theta, and the controllers gamma and g."""

from ncode_core.dynamics.controllers import (
    ConstantTheta0,
    Gamma,
    HebbianLaw,
    MLPControlLaw,
    VanDerPolLaw,
)
from ncode_core.dynamics.fields import (
    LinearField,
    PerSampleMLPField,
    PositiveScalar,
    SharedMLPField,
    VanDerPolField,
)
from ncode_core.dynamics.system import (
    AutonomousSystem,
    ControlledSystem,
    DataControlledSystem,
    FlowSystem,
)

__all__ = [
    "AutonomousSystem",
    "DataControlledSystem",
    "FlowSystem",
    "ConstantTheta0",
    "ControlledSystem",
    "Gamma",
    "HebbianLaw",
    "LinearField",
    "MLPControlLaw",
    "PerSampleMLPField",
    "PositiveScalar",
    "SharedMLPField",
    "VanDerPolField",
    "VanDerPolLaw",
]
