"""Named experiment presets: one paper experiment = one name that expands to validated jobs.

A :class:`Preset` names a task, its shared settings (solver, training, task and model config),
a step budget and the rows of the paper's result table it reproduces (:class:`PresetEntry`: a
model family with its own settings and the paper's number for it). :meth:`Preset.expand` gives
one :class:`~ncode_core.jobs.spec.JobSpec` per entry and seed, tagged ``preset=<name>`` and
``entry=<key>`` so finished jobs can be gathered back into the table
(:mod:`ncode_core.jobs.preset_results`). :func:`submit_preset` stores them all or none.

Adding a preset is one more :class:`Preset` in
:data:`PRESETS`; the CLI (``submit --preset``, ``presets``, ``jobs table``) and the dashboard's
Jobs page read that table only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ncode_core.config import ConfigError, shorten
from ncode_core.jobs.api import submit_jobs
from ncode_core.jobs.spec import JobSpec, validate_job_spec
from ncode_core.jobs.store import Job
from ncode_core.tasks.images import MNISTTask

PRESET_TAG = "preset"  # tag "preset=<name>" on every job of a preset
ENTRY_TAG = "entry"  # tag "entry=<key>": the result-table row the job belongs to


@dataclass(frozen=True)
class PaperNumber:
    """A number the paper reports for one entry.

    ``metric`` is one of the task's metric names, ``value`` the number on that metric's scale
    (accuracy 0.992, not 99.2), ``text`` how the paper states it (``"99.2 %"``, ``"below 1 %"``)
    and ``source`` where (``"Table 1"``, ``"Fig. 6 / section 4.3"``).
    """

    metric: str
    value: float
    text: str
    source: str


@dataclass(frozen=True)
class PresetEntry:
    """One row of a preset's result table: a model family with its own settings.

    ``key`` tags the jobs (letters, digits, ``_``, ``-``); ``label`` is the paper's name for the
    row; ``model_cfg`` / ``task_cfg`` are merged over the preset's shared sections; ``paper``
    is the paper's number for the row (None when the paper reports none).
    """

    key: str
    label: str
    model: str
    model_cfg: dict[str, Any] = field(default_factory=dict)
    task_cfg: dict[str, Any] = field(default_factory=dict)
    paper: PaperNumber | None = None


@dataclass(frozen=True)
class Preset:
    """A named paper experiment: one job per entry and seed.

    ``steps`` is every job's optimiser step target, ``checkpoint_every`` the checkpoint interval;
    ``budget`` states in words what that budget is (epochs, expected device) for result tables.
    """

    name: str
    description: str
    task: str
    entries: tuple[PresetEntry, ...]
    steps: int
    checkpoint_every: int
    budget: str
    seeds: tuple[int, ...] = (0,)
    solver: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    model_cfg: dict[str, Any] = field(default_factory=dict)
    task_cfg: dict[str, Any] = field(default_factory=dict)

    @property
    def job_count(self) -> int:
        """Jobs the preset submits with its own seeds: entries x seeds."""
        return len(self.entries) * len(self.seeds)

    def raw_specs(self, seeds: list[int] | None = None, steps: int | None = None) -> list[dict]:
        """Plain job-spec dicts, entry-major then seed (``seeds``/``steps`` replace the
        preset's own)."""
        specs = []
        for entry in self.entries:
            for seed in self.seeds if seeds is None else seeds:
                specs.append({
                    "task": self.task, "model": entry.model, "seed": seed,
                    "steps": self.steps if steps is None else steps,
                    "checkpoint_every": self.checkpoint_every,
                    "name": f"{self.name}-{entry.key}-s{seed}",
                    "tags": [f"{PRESET_TAG}={self.name}", f"{ENTRY_TAG}={entry.key}"],
                    "solver": dict(self.solver), "training": dict(self.training),
                    "model_cfg": {**self.model_cfg, **entry.model_cfg},
                    "task_cfg": {**self.task_cfg, **entry.task_cfg}})
        return specs

    def expand(self, seeds: list[int] | None = None, steps: int | None = None) -> list[JobSpec]:
        """Every job of the preset as a validated :class:`JobSpec` (run config, memory and
        step budget checked).

        Raises:
            ConfigError: a spec is invalid (naming the job) or ``seeds`` is empty.
        """
        raws = self.raw_specs(seeds, steps)
        if not raws:
            raise ConfigError(f"preset {self.name}: --seeds: give at least one seed")
        validated = []
        for raw in raws:
            try:
                validated.append(validate_job_spec(raw))
            except ConfigError as error:
                raise ConfigError(f"preset {self.name}, job {raw['name']}: {error}") from None
        return validated


_DOPRI5 = {"method": "dopri5", "rtol": 1e-3, "atol": 1e-3}  # Appendix C.2: dopri5, tol 1e-3
# The CPU budget's solver: one classical RK4 step over [0, 1] (4 field evaluations per forward
# pass against dopri5's ~20 at tol 1e-3 on MNIST, measured): ~5x cheaper steps, same model.
_RK4_ONE_STEP = {"method": "rk4", "step_size": 1.0}
_CONV_SIZES = {"hidden": 50, "gamma_hidden": 10}  # section 4.2: 50 filters; gamma: 10 hidden


def _table1_paper(family: str) -> PaperNumber:
    """Table 1's MNIST test accuracy of ``family``, from the task's own record of it."""
    value = MNISTTask.paper_test_accuracy[family]
    return PaperNumber("test_accuracy", value, f"{100 * value:.1f} %", "Table 1")


_TABLE1_ENTRIES = (
    PresetEntry("ncode", "N-CODE (open)", "ncode_open", task_cfg={"controlled_kernels": "all"},
                paper=_table1_paper("ncode_open")),
    PresetEntry("ncode_3x3", "N-CODE 3x3", "ncode_open", task_cfg={"controlled_kernels": "3x3"}),
    PresetEntry("anode", "ANODE", "anode", paper=_table1_paper("anode")),
    PresetEntry("node_dc", "NODE DC", "node_dc", paper=_table1_paper("node_dc")),
)
_FIG6 = "Fig. 6, section 4.3"


def _table1(name: str, task: str, description: str, steps: int, eval_every: int,
            checkpoint_every: int, budget: str, solver: dict[str, Any] = _DOPRI5,
            entries: tuple[PresetEntry, ...] = _TABLE1_ENTRIES) -> Preset:
    """Table 1's four models on an image task at the paper's sizes (by default its solver too).
    Adam at 3e-3 (the paper gives no rate for C.2): at the global default 3e-2 open-loop N-CODE
    with 50 filters hit a non-finite gradient at step 5 on digits; at 1e-2 it reached 0.68 test
    accuracy in 40 steps, at 3e-3 0.84."""
    return Preset(name=name, description=description, task=task, entries=entries,
                  steps=steps, checkpoint_every=checkpoint_every, budget=budget, solver=solver,
                  training={"batch_size": 64, "lr": 3e-3, "eval_every": eval_every},
                  model_cfg=_CONV_SIZES,
                  task_cfg={"augment_channels": 10})


def _table1_cpu(name: str, task: str, dataset: str, description: str,
                entries: tuple[PresetEntry, ...] = _TABLE1_ENTRIES) -> Preset:
    """:func:`_table1` at a CPU budget: one RK4 step instead of dopri5, one epoch of a 60k-image
    training set at batch 64, the full test set every half epoch."""
    return _table1(name, task, f"{description}; one RK4 step over [0, 1] instead of dopri5 (4 "
                   "field evaluations per forward pass, ~5x cheaper)",
                   steps=938, eval_every=469, checkpoint_every=469, solver=_RK4_ONE_STEP,
                   budget=f"1 epoch of the 60k {dataset} images at batch 64 (938 steps), the "
                          "full test set every half epoch; one RK4 step", entries=entries)


PRESETS: dict[str, Preset] = {preset.name: preset for preset in (
    _table1("table1-mnist", "mnist",
            "Table 1 on MNIST: open-loop N-CODE (all kernels, 3x3 only), ANODE, NODE DC; conv "
            "block with 50 filters, 10 augmented channels, gamma with 10 hidden units, dopri5 "
            "tol 1e-3",
            steps=2814, eval_every=938, checkpoint_every=469,
            budget="3 epochs of the 60k MNIST images at batch 64 (2814 steps), the full test set "
                   "every epoch (938 steps); sized for a GPU"),
    _table1_cpu("table1-mnist-cpu", "mnist", "MNIST",
                "Table 1 on MNIST at a CPU budget: the models and sizes of table1-mnist"),
    _table1_cpu("table1-fashion-mnist-cpu", "fashion_mnist", "Fashion-MNIST",
                "Table 1's models on Fashion-MNIST (the paper reports no number for it) at the "
                "CPU budget of table1-mnist-cpu",
                entries=tuple(replace(entry, paper=None) for entry in _TABLE1_ENTRIES)),
    _table1("table1-digits", "digits",
            "Table 1's models on scikit-learn's bundled 8x8 digits (1437/360): the sizes and "
            "solver of table1-mnist at a CPU budget (tests the machinery; the paper's numbers "
            "are MNIST's)",
            steps=150, eval_every=50, checkpoint_every=50,
            budget="150 steps at batch 64 (about 7 epochs of 1437 images), the test set every 50 "
                   "steps; CPU-sized"),
    Preset(
        name="fig6",
        description="Fig. 6: few-shot pattern memorization (n = 100 bits, m = 5 patterns, half "
                    "the probe's bits zeroed): closed-loop N-CODE (Eq. 7), NODE DC, ODE-RNN, "
                    "LSTM, 3 seeds each",
        task="memorization",
        entries=(
            PresetEntry("ncode_closed", "N-CODE (closed)", "ncode_closed",
                        paper=PaperNumber("bit_error", 0.01, "below 1 %", _FIG6)),
            PresetEntry("node_dc", "NODE DC", "node_dc",
                        paper=PaperNumber("bit_error", 0.175, "plateau near 17.5 %", _FIG6)),
            PresetEntry("ode_rnn", "ODE-RNN", "ode_rnn",
                        paper=PaperNumber("bit_error", 0.175, "plateau near 17.5 %", _FIG6)),
            PresetEntry("lstm", "LSTM", "lstm",
                        paper=PaperNumber("bit_error", 0.25, "marginally below chance (0.25)",
                                           _FIG6)),
        ),
        seeds=(0, 1, 2), steps=100, checkpoint_every=25,
        budget="100 steps of 16 episodes (1600 episodes), test episodes every 25 steps: the "
               "task's default run, on its default config (n = 100, m = 5, degradation 0.5)"),
    Preset(
        name="table2-mnist",
        description="Section 4.4 on MNIST (Table A.1: MLP encoder/decoder, latent 25): "
                    "AutoN-CODE, AE, VAE and the AE with twice the latent size (Fig. A.7); the "
                    "paper reports MNIST clustering (Fig. A.10), not MNIST FIDs, so the table "
                    "holds reconstruction errors: FIDs, sampling and clustering come from "
                    "benchmarks/autoncode.py on the finished checkpoints",
        task="mnist_ae",
        entries=(
            PresetEntry("autoncode", "AutoN-CODE", "autoncode"),
            PresetEntry("ae", "AE", "ae"),
            PresetEntry("vae", "VAE", "vae"),
            PresetEntry("ae2x", "AE, latent 50", "ae", task_cfg={"latent_dim": 50}),
        ),
        steps=46_900, checkpoint_every=938,
        training={"batch_size": 64, "lr": 1e-3, "lr_plateau_factor": 0.5, "eval_every": 938},
        budget="50 epochs of the 60k MNIST images at batch 64 (46,900 steps; C.4: Adam 1e-3 "
               "halved on plateau), the test set every epoch; sized for a GPU"),
)}


def get_preset(name: str) -> Preset:
    """The preset called ``name``.

    Raises:
        ConfigError: one line naming the known presets.
    """
    if name not in PRESETS:
        raise ConfigError(f"--preset: unknown preset {shorten(repr(name))}; choose one of "
                          f"{sorted(PRESETS)}")
    return PRESETS[name]


def submit_preset(name: str, seeds: list[int] | None = None, steps: int | None = None,
                  runs_dir: str | Path | None = None, executor: str = "local",
                  address: str | None = None, start_worker: bool = True) -> list[Job]:
    """Validate every job of preset ``name`` and submit them all or none
    (:func:`~ncode_core.jobs.api.submit_jobs`); returns the stored jobs in entry/seed order.

    Raises:
        ConfigError: unknown preset, an invalid job, unknown executor or unreachable cluster
            (nothing stored).
    """
    specs = get_preset(name).expand(seeds, steps)
    return submit_jobs(list(specs), runs_dir, executor, address, start_worker)


__all__ = ["ENTRY_TAG", "PRESETS", "PRESET_TAG", "PaperNumber", "Preset", "PresetEntry",
           "get_preset", "submit_preset"]
