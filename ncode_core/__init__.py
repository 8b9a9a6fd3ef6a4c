"""N-CODE: neurally-controlled neural ODEs (Chalvidal et al., ICLR 2021).

The public API below is the only import surface for ``app/`` and external users.
"""

from ncode_core.checkpoint import (
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
    trainer_state_from_checkpoint,
)
from ncode_core.config import (
    AnnuliConfig,
    ConfigError,
    ModelConfig,
    ReflectionConfig,
    RunConfig,
    SolverConfig,
    TASK_CONFIGS,
    TrainingConfig,
    VanDerPolConfig,
    apply_overrides,
    parse_run_config,
)
from ncode_core.integrate import SolverError, solve
from ncode_core.models import (
    ANODE,
    NODE,
    ClosedLoopNCODE,
    DataControlledNODE,
    FlowModel,
    OpenLoopNCODE,
    TaskModel,
    Trajectory,
)
from ncode_core.registry import MODELS, TASKS, build_model, build_task, check_pair
from ncode_core.training import DivergenceError, EarlyStopping, FitResult, Trainer, fit

__all__ = [
    "ANODE",
    "AnnuliConfig",
    "CheckpointError",
    "ClosedLoopNCODE",
    "ConfigError",
    "DataControlledNODE",
    "DivergenceError",
    "EarlyStopping",
    "FitResult",
    "FlowModel",
    "MODELS",
    "ModelConfig",
    "NODE",
    "OpenLoopNCODE",
    "ReflectionConfig",
    "RunConfig",
    "SolverConfig",
    "SolverError",
    "TASKS",
    "TASK_CONFIGS",
    "TaskModel",
    "Trainer",
    "TrainingConfig",
    "Trajectory",
    "VanDerPolConfig",
    "apply_overrides",
    "build_model",
    "build_task",
    "check_pair",
    "fit",
    "load_checkpoint",
    "parse_run_config",
    "save_checkpoint",
    "solve",
    "trainer_state_from_checkpoint",
]
