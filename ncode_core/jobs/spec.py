"""Job specs: what a background experiment runs, validated before anything is stored.

A spec names a task and a model, their config sections, a seed, a device, a step count, a
checkpoint interval, a name, tags and a retry count. :func:`validate_job_spec` turns a plain dict
(from CLI flags, a JSON/YAML file or the dashboard form) into a :class:`JobSpec` and checks that
the training config it implies is valid (:func:`ncode_core.parse_run_config`), so a bad spec is
refused with a one-line :class:`ConfigError` and nothing reaches the store.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ncode_core.config import (
    ConfigError,
    RunConfig,
    apply_overrides,
    format_validation_error,
    shorten,
)
from ncode_core.registry import parse_run_config

# used with fullmatch: "$" would also match before a final newline
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
TAG_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:=-]{0,63}")
MAX_SPEC_FILE_BYTES = 1_000_000
MAX_YAML_NODES = 100_000  # after alias expansion: caps "billion laughs" documents


class JobSpec(BaseModel):
    """One background experiment.

    ``steps`` is the optimiser step target (``training.steps`` is set to it);
    ``checkpoint_every`` the interval between checkpoints in steps; ``retries`` how many times a
    failed or lost run is requeued automatically (resuming from its last checkpoint).
    ``solver``, ``training``, ``model_cfg`` and ``task_cfg`` are partial config sections merged
    over the defaults; ``overrides`` are ``section.key=value`` strings applied on top.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True,
                              protected_namespaces=(), strict=True)

    task: str
    model: str
    steps: int = Field(500, ge=0, le=10_000_000)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    checkpoint_every: int = Field(50, ge=1, le=10_000_000)
    name: str = Field("", description="letters, digits, '.', '_' or '-' (default: task-model)")
    tags: list[str] = Field(default_factory=list, max_length=32)
    retries: int = Field(0, ge=0, le=100)
    solver: dict[str, Any] = Field(default_factory=dict)
    training: dict[str, Any] = Field(default_factory=dict)
    model_cfg: dict[str, Any] = Field(default_factory=dict)
    task_cfg: dict[str, Any] = Field(default_factory=dict)
    overrides: list[str] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        if value and (not NAME_PATTERN.fullmatch(value) or ".." in value):
            raise ValueError("must be 1-64 letters, digits, '.', '_' or '-', start with a letter "
                             "or digit and contain no '..' or '/'")
        return value

    @field_validator("tags")
    @classmethod
    def _safe_tags(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not TAG_PATTERN.fullmatch(tag):
                raise ValueError(f"tag {shorten(repr(tag))} must be 1-64 letters, digits or '_.:=-'")
        return value

    def run_config(self, check_resources: bool = True) -> RunConfig:
        """The validated training config this spec runs (``training.steps`` = ``steps``);
        ``check_resources=False`` skips the memory and step budget of this machine (reading a
        stored job that may have run elsewhere)."""
        raw: dict[str, Any] = {"task": self.task, "model": self.model, "seed": self.seed,
                               "device": self.device, "solver": dict(self.solver),
                               "training": dict(self.training), "model_cfg": dict(self.model_cfg),
                               "task_cfg": dict(self.task_cfg)}
        raw = apply_overrides(raw, self.overrides)
        raw.setdefault("training", {})["steps"] = self.steps
        return parse_run_config(raw, check_resources)

    @property
    def display_name(self) -> str:
        """``name`` or ``<task>-<model>``."""
        return self.name or f"{self.task}-{self.model}"


def validate_job_spec(raw: dict[str, Any]) -> JobSpec:
    """Validate a plain dict into a :class:`JobSpec` whose run config is valid too.

    Raises:
        ConfigError: one line naming the field, the value given and what is allowed.
    """
    if not isinstance(raw, dict):
        raise ConfigError(f"job spec: expected a mapping of fields, got {type(raw).__name__}")
    try:
        spec = JobSpec.model_validate(raw)
    except ValidationError as error:
        raise ConfigError("job spec: " + format_validation_error(error)) from None
    spec.run_config()  # raises ConfigError for unknown task/model, bad sections or values
    return spec


def _load_yaml(text: str) -> Any:
    """``yaml.safe_load`` that refuses documents expanding to more than
    :data:`MAX_YAML_NODES` nodes (aliases counted at every use)."""
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        sizes: dict[int, int] = {}  # expanded size per node, so shared anchors count once each

        def expanded(node: yaml.Node) -> int:
            if id(node) not in sizes:
                sizes[id(node)] = 1  # a recursive alias counts once
                children: list[yaml.Node] = []
                if isinstance(node, yaml.SequenceNode):
                    children = node.value
                elif isinstance(node, yaml.MappingNode):
                    children = [part for pair in node.value for part in pair]
                total = 1
                for child in children:
                    total += expanded(child)
                    if total > MAX_YAML_NODES:
                        break
                sizes[id(node)] = total
            return sizes[id(node)]

        if root is not None and expanded(root) > MAX_YAML_NODES:
            raise ConfigError(f"expands to more than {MAX_YAML_NODES} values (nested aliases?)")
        return loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()


def read_spec_file(path: str | Path) -> dict[str, Any]:
    """Read a JSON (``.json``) or YAML (``.yaml``/``.yml``) spec file into a plain dict.

    Files over :data:`MAX_SPEC_FILE_BYTES`, text that is not UTF-8 and YAML whose aliases expand
    past :data:`MAX_YAML_NODES` values are refused.

    Raises:
        ConfigError: unreadable, oversized or undecodable file or syntax error, naming the file.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data_bytes = handle.read(MAX_SPEC_FILE_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"spec file {path}: {error.strerror or error}") from None
    if len(data_bytes) > MAX_SPEC_FILE_BYTES:
        raise ConfigError(f"spec file {path}: larger than {MAX_SPEC_FILE_BYTES} bytes")
    try:
        text = data_bytes.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"spec file {path}: not UTF-8 text (byte {error.start})") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            data = _load_yaml(text)
        else:
            data = json.loads(text)
    except ConfigError as error:
        raise ConfigError(f"spec file {path}: {error}") from None
    except Exception as error:  # json.JSONDecodeError, yaml.YAMLError, RecursionError (deep nesting)
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ConfigError(f"spec file {path}: cannot parse: {first}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"spec file {path}: expected a mapping of fields at the top level")
    return data
