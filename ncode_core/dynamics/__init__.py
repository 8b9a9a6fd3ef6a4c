"""Vector fields f(x; theta) with per-sample theta, and the controllers gamma and g."""

from ncode_core.dynamics.controllers import (
    ConstantCode,
    Gamma,
    HebbianLaw,
    MLPControlLaw,
    ThetaDecoder,
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
    QuadraticCost,
)

__all__ = [
    "AutonomousSystem",
    "DataControlledSystem",
    "FlowSystem",
    "ConstantCode",
    "ControlledSystem",
    "Gamma",
    "HebbianLaw",
    "LinearField",
    "MLPControlLaw",
    "PerSampleMLPField",
    "PositiveScalar",
    "QuadraticCost",
    "SharedMLPField",
    "ThetaDecoder",
    "VanDerPolField",
    "VanDerPolLaw",
]
