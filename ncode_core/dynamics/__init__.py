"""Vector fields f(x; theta) with per-sample theta, and the controllers gamma and g."""

from ncode_core.dynamics.controllers import (
    ConstantCode,
    Gamma,
    HebbianLaw,
    MLPControlLaw,
    ThetaDecoder,
    VanDerPolLaw,
)
from ncode_core.dynamics.conv_fields import (
    PerSampleConvField,
    SharedConvField,
    per_sample_conv2d,
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
    "PerSampleConvField",
    "PerSampleMLPField",
    "PositiveScalar",
    "QuadraticCost",
    "SharedConvField",
    "SharedMLPField",
    "ThetaDecoder",
    "VanDerPolField",
    "VanDerPolLaw",
    "per_sample_conv2d",
]
