"""Validated configuration models.

Every boundary (CLI, dashboard form, job spec, checkpoint) turns plain dicts into these models with
:func:`ncode_core.registry.parse_run_config` (it lives beside the task table it validates against).
Unknown keys, wrong types, non-finite numbers and out-of-range values raise :class:`ConfigError`
whose message names the field, the value given and what is allowed.

Configs are frozen once validated: assigning a field raises. A changed copy is
``config.model_copy(update={...})`` (not re-validated), or ``parse_run_config`` of a changed
``to_dict()`` where the new values come from a user.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    ValidationInfo,
    field_validator,
)

ADAPTIVE_METHODS = ("dopri5", "dopri8", "bosh3", "adaptive_heun")
FIXED_GRID_METHODS = ("euler", "midpoint", "rk4")
MAX_WIDTH = 4096  # largest hidden width a config accepts
SolverMethod = Literal["dopri5", "dopri8", "bosh3", "adaptive_heun", "euler", "midpoint", "rk4"]


MESSAGE_VALUE_CHARS = 60  # longest user value echoed in an error message


class ConfigError(ValueError):
    """A configuration value is invalid; the message is one line, fit for a user."""


def shorten(text: str, limit: int = MESSAGE_VALUE_CHARS) -> str:
    """``text`` cut to ``limit`` characters with its full length noted, so that a hostile 50 MB
    value is never echoed whole into a message or a log."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


class StrictModel(BaseModel):
    """Base for every config: unknown keys and NaN/inf are refused; values are not coerced
    across types (``"3"`` is not an int, ``1`` is not a bool; an int is still a valid float);
    frozen once validated."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, strict=True)


class SolverConfig(StrictModel):
    """How an ODE is integrated (the only torchdiffeq settings the project uses)."""

    method: SolverMethod = "dopri5"
    rtol: float = Field(1e-3, gt=0, le=1)
    atol: float = Field(1e-3, gt=0, le=1)
    step_size: float | None = Field(None, gt=0, description="fixed-grid step; default: T / 10")
    adjoint: bool = False
    max_num_steps: int = Field(1000, ge=1, le=10_000_000)

    @property
    def adaptive(self) -> bool:
        """True for error-controlled methods (rtol/atol/max_num_steps apply)."""
        return self.method in ADAPTIVE_METHODS

    def summary(self) -> str:
        """The settings that apply to the method, in words: ``"dopri5 tol 0.001"`` (one
        tolerance when rtol = atol), ``"rk4 step 1"``, ``"euler step T/10"``."""
        if self.adaptive:
            tolerance = (f"tol {self.rtol:g}" if self.rtol == self.atol
                         else f"rtol {self.rtol:g} atol {self.atol:g}")
            return f"{self.method} {tolerance}"
        step = "T/10" if self.step_size is None else f"{self.step_size:g}"
        return f"{self.method} step {step}"

    @field_validator("step_size")
    @classmethod
    def _step_size_only_for_fixed_grids(cls, value: float | None, info) -> float | None:
        # torchdiffeq ignores step_size for adaptive methods: refusing beats a silent no-op
        method = info.data.get("method")
        if value is not None and method in ADAPTIVE_METHODS:
            raise ValueError(f"applies only to fixed-grid methods "
                             f"({', '.join(FIXED_GRID_METHODS)}); method {method!r} chooses "
                             "its own steps")
        return value


class TrainingConfig(StrictModel):
    """Optimisation settings shared by every task."""

    steps: int = Field(500, ge=0, le=10_000_000)
    # 3e-2 with gamma's full-scale heads: open-loop N-CODE reaches 99 % on annuli in a median of
    # 10 steps instead of 35 (benchmarks/time_to_accuracy.py)
    lr: float = Field(3e-2, gt=0, le=10)
    batch_size: int = Field(512, ge=1, le=1_000_000)
    optimizer: Literal["adam", "adamw"] = "adam"
    weight_decay: float = Field(0.0, ge=0, le=1)
    grad_clip: float | None = Field(None, gt=0, description="max gradient norm; None disables")
    eval_every: int = Field(50, ge=1, description="steps between test-set evaluations in fit()")
    running_cost: float = Field(
        0.0, ge=0, le=1000,
        description="weight of the running cost (Eq. 5): the batch mean of the integral over "
                    "[0, T] of |theta(t)|^2 or |x(t)|^2 is added to the loss; 0 disables",
    )
    running_cost_on: Literal["theta", "x"] = Field(
        "theta", description="what the running cost penalises: theta (N-CODE models only) or x",
    )
    lr_plateau_factor: float | None = Field(
        None, gt=0, lt=1,
        description="multiply the learning rate by this when the mean training loss of "
                    "eval_every steps stops improving (C.4: 0.5); None keeps it constant",
    )
    lr_plateau_patience: int = Field(2, ge=0, le=1000,
                                     description="windows without improvement before a cut")


class ModelConfig(StrictModel):
    """Sizes of the model family's parts. The task decides which parts it uses."""

    hidden: int = Field(16, ge=1, le=MAX_WIDTH, description="hidden width of the vector field f")
    augment_dim: int = Field(1, ge=1, le=1024, description="extra zero dimensions (anode only)")
    gamma_hidden: int = Field(
        10, ge=1, le=4096,
        description="N-CODE control code size: gamma's hidden units, decoded to theta by linear heads",
    )
    law_hidden: int = Field(16, ge=1, le=4096, description="hidden width of the closed-loop law g")
    theta0: Literal["learned", "gamma"] = Field(
        "learned", description="closed loop: theta(0) a learned constant or gamma(x(0)) (Eq. 4)"
    )
    control: Literal["full", "code"] = Field(
        "code",
        description="closed loop: the law g drives every field parameter (full: ODE state "
                    "(x, theta)) or a control code u decoded to theta (code: state (x, u)); open "
                    "loop is the same model either way (theta constant) and keeps the code",
    )
    match_params: Literal["off", "ncode_open", "ncode_closed"] = Field(
        "off",
        description="baselines (node, anode, node_dc): choose the hidden width so the parameter "
                    "count is within 10 % of this N-CODE built from the same settings",
    )
    integration_time: float = Field(1.0, gt=0, le=1000, description="T of the flow [0, T]")


class ReflectionConfig(StrictModel):
    """x -> -x on x(0) ~ U(-range, range)."""

    n_train: int = Field(256, ge=2, le=1_000_000)
    n_test: int = Field(256, ge=2, le=1_000_000)
    input_range: float = Field(1.0, gt=0, le=100)


class AnnuliConfig(StrictModel):
    """Inner disk r < inner_radius (class 0) vs annulus outer_min < r < outer_max (class 1)."""

    n_samples: int = Field(2048, ge=8, le=10_000_000)
    test_fraction: float = Field(0.25, gt=0, lt=1)
    inner_radius: float = Field(0.5, gt=0, le=100)
    outer_min: float = Field(1.0, gt=0, le=100)
    outer_max: float = Field(1.5, gt=0, le=100)
    noise: float = Field(0.0, ge=0, le=10, description="std of Gaussian noise added to the points")
    fresh_batches: bool = Field(
        False, description="draw a new training batch every step (Massaroli et al.'s protocol) "
                           "instead of minibatches of a fixed training set",
    )

    @field_validator("outer_max")
    @classmethod
    def _outer_after_min(cls, value: float, info) -> float:
        lower = info.data.get("outer_min")
        if lower is not None and value <= lower:
            raise ValueError(f"must exceed outer_min ({lower})")
        return value


class VanDerPolConfig(StrictModel):
    """Target: dx/dt = mu (x - x^3/3 - theta), dtheta/dt = x / mu, theta(0) = 0."""

    mu_true: float = Field(1.5, gt=0, le=100)
    mu_init: float = Field(1.0, gt=0, le=100, description="initial value of the learnable mu")
    horizon: float = Field(8.0, gt=0, le=1000, description="length of the fitted trajectory")
    n_times: int = Field(40, ge=2, le=100_000, description="observation times on [0, horizon]")
    n_train: int = Field(8, ge=1, le=100_000, description="training trajectories (x(0) values)")
    n_test: int = Field(8, ge=1, le=100_000)
    x0_range: float = Field(2.0, gt=0, le=100, description="x(0) ~ U(-x0_range, x0_range)")
    noise: float = Field(0.0, ge=0, le=10, description="observation noise std")
    model_form: Literal["sysid", "generic"] = Field(
        "sysid",
        description="N-CODE models: sysid = the true Van der Pol equations with learnable mu "
                    "(system identification, Fig. 3); generic = a learned MLP field (and law)",
    )


class AutoencodingConfig(StrictModel):
    """AutoN-CODE / AE / VAE on an image dataset (Sec. 4.4, Table A.1, C.4)."""

    latent_dim: int | None = Field(
        None, ge=1, le=4096,
        description="latent size m; None: Table A.1's (MNIST 25, CIFAR-10 128, CelebA 64). "
                    "Twice it for the parameter-matched AE of Fig. A.7",
    )
    reconstruction: Literal["mse", "bce"] = Field(
        "mse", description="reconstruction loss (C.4: MSE; binary cross-entropy for MNIST)"
    )
    flow_time: float = Field(10.0, gt=0, le=100,
                             description="T of AutoN-CODE's latent flow on [0, T] (paper: 10)")
    theta_row_norm: float = Field(
        0.3, gt=0, le=10,
        description="norm of each row of AutoN-CODE's theta after component-wise normalisation "
                    "(bounds the latent flow's growth rate by sqrt(2) times it)",
    )
    n_train: int | None = Field(None, ge=1, le=10_000_000,
                                description="use the first n_train training images; None: all")
    n_test: int | None = Field(None, ge=1, le=10_000_000,
                               description="use the first n_test test images; None: all")
    x0_seed: int = Field(0, ge=0, le=2**31 - 1,
                         description="seed of AutoN-CODE's x(0) ~ N(0, I) at evaluation")


TASK_CONFIG_CONTEXT = "task_config_model"  # validation-context key: the task's config model


class MemorizationConfig(StrictModel):
    """Few-shot pattern memorization (section 4.3, C.3; Miconi et al. 2018).

    Each episode shows ``n_patterns`` (m) random patterns of ``n_bits`` (n) bits in {-1, 1},
    ``cycles`` times in shuffled order, each for ``presentation_time`` seconds, then a probe (one
    of them with a ``degradation`` fraction of its bits zeroed) for ``query_time`` seconds.
    The paper uses n in {100, 1000}, m in {2, 5, 10}, degradation in {0.5, 0.7, 0.9}.
    """

    n_bits: int = Field(100, ge=2, le=4096, description="n, bits per pattern (paper: 100, 1000)")
    n_patterns: int = Field(5, ge=1, le=64, description="m, patterns per episode (paper: 2, 5, 10)")
    degradation: float = Field(
        0.5, gt=0, lt=1, description="fraction of the probe's bits zeroed (paper: 0.5, 0.7, 0.9)"
    )
    cycles: int = Field(2, ge=1, le=16, description="presentations of each pattern, shuffled")
    presentation_time: float = Field(0.5, gt=0, le=100, description="seconds per presentation")
    query_time: float = Field(0.5, gt=0, le=100, description="seconds the probe is shown")
    balanced: bool = Field(False, description="exactly n/2 bits of each pattern are +1")
    n_test_episodes: int = Field(256, ge=1, le=100_000, description="fixed held-out episodes")
    lstm_hidden: int = Field(
        512, ge=1, le=8192, description="LSTM hidden units (paper: 5000, heavy on a CPU)"
    )
    lstm_steps: int = Field(5, ge=1, le=100, description="LSTM time steps per presentation")

    @field_validator("balanced")
    @classmethod
    def _even_when_balanced(cls, value: bool, info) -> bool:
        bits = info.data.get("n_bits")
        if value and bits is not None and bits % 2:
            raise ValueError(f"needs an even n_bits (n_bits is {bits})")
        return value



class RunConfig(StrictModel):
    """Everything that defines one training run; what checkpoints and job specs store."""

    task: str
    model: str
    seed: int = Field(0, ge=0, le=2**31 - 1)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    solver: SolverConfig = Field(default_factory=SolverConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    model_cfg: ModelConfig = Field(default_factory=ModelConfig)
    task_cfg: SerializeAsAny[StrictModel] = Field(
        default_factory=dict, validate_default=True,
        description="the task's own config (its Task.config_model), validated from a dict",
    )

    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, frozen=True, protected_namespaces=(), strict=True
    )

    @field_validator("task_cfg", mode="plain")
    @classmethod
    def _task_settings(cls, value: Any, info: ValidationInfo) -> Any:
        # The task's config model is known to the registry, not here (config must not import
        # the registry): parse_run_config passes it in the validation context. Without one
        # (unknown task) the value is kept as given and parse_run_config reports the task.
        settings_model = (info.context or {}).get(TASK_CONFIG_CONTEXT)
        if settings_model is None:
            return value
        if isinstance(value, BaseModel):
            value = value.model_dump()
        return settings_model.model_validate(value)

    def to_dict(self) -> dict[str, Any]:
        """Plain-type dict (JSON-safe) that :func:`parse_run_config` accepts back."""
        return self.model_dump()


def format_validation_error(error: ValidationError, prefix: str = "") -> str:
    """One line per problem, each naming field, given value and the rule it broke."""
    parts = []
    for item in error.errors():
        field = ".".join(str(p) for p in (prefix, *item["loc"]) if p != "")
        given = item.get("input")
        shown = repr(shorten(given)) if isinstance(given, str) else shorten(repr(given))
        given_text = "" if isinstance(given, dict) else f" (got {shown})"
        message = item["msg"].removeprefix("Value error, ")  # pydantic's wrapper adds nothing
        parts.append(f"{field or 'config'}: {message}{given_text}")
    return "; ".join(parts)


def apply_overrides(raw: dict[str, Any], assignments: list[str]) -> dict[str, Any]:
    """Apply ``section.key=value`` strings (from ``--set``) to a plain config dict.

    Sections: ``solver``, ``training``, ``model_cfg`` (alias ``model``), ``task_cfg`` (alias
    ``task``), or a top-level key such as ``seed``. Values are parsed as JSON when possible
    (``1e-3``, ``true``, ``null``), otherwise kept as strings; pydantic then checks them.
    """
    import json

    aliases = {"model": "model_cfg", "task": "task_cfg"}
    result = {key: (dict(value) if isinstance(value, dict) else value) for key, value in raw.items()}
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {assignment!r}: expected key=value, e.g. training.lr=0.01")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        path = key.strip().split(".")
        if len(path) == 1:
            result[path[0]] = value
        elif len(path) == 2:
            section = aliases.get(path[0], path[0])
            if section not in ("solver", "training", "model_cfg", "task_cfg"):
                raise ConfigError(
                    f"--set {assignment!r}: unknown section {path[0]!r}; "
                    "use solver, training, model or task"
                )
            result.setdefault(section, {})
            result[section][path[1]] = value
        else:
            raise ConfigError(f"--set {assignment!r}: keys have at most one dot (section.key)")
    return result
