"""Train the small checkpoints the dashboard opens instantly and write ``manifest.json``.

    make pretrained                       # all of them (a few minutes on 2 CPU cores)
    python pretrained/build.py --only annuli-ncode_open

Each entry trains through the library (``ncode_core.Trainer``): a :class:`LabRecipe` with the
lab's own settings (so the lab can keep training it), a :class:`RunRecipe` from a plain run
config for a task the lab does not show (memorization, the image tasks); it evaluates the held-out split and records those metrics, the file's
sha256 (``ncode_core.load_pretrained`` refuses a file that no longer matches) and the command that
rebuilds it: nothing in the manifest is typed in by hand.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ncode_core as nc  # noqa: E402
from app.components import settings as S  # noqa: E402

HERE = Path(__file__).resolve().parent
REBUILD_ALL = "make pretrained"
log = logging.getLogger("pretrained")

# Baselines are parameter-matched to the open-loop N-CODE they are shown beside.
MATCHED = {"model_cfg": {"match_params": "ncode_open"}}


@dataclass(frozen=True)
class LabRecipe:
    """A lab task trained with the lab's settings: ``settings`` override the task's lab defaults,
    ``sections`` (run-config sections, e.g. ``MATCHED``) go beyond what the lab sets."""

    settings: dict[str, Any]
    steps: int
    sections: dict[str, Any] = field(default_factory=dict)
    weights_only: bool = False  # the lab resumes training from the optimiser state
    scores: Callable[[nc.Trainer], dict[str, float]] | None = None

    def run_config(self) -> dict[str, Any]:
        """The ``parse_run_config`` input: the lab's run config, then ``sections`` merged in."""
        config = S.to_run_config({**S.defaults_for(self.settings["task"]), **self.settings},
                                 steps=self.steps)
        for section, values in self.sections.items():
            config[section] = {**config[section], **values}
        return config

    def manifest_extra(self) -> dict[str, Any]:
        """The lab settings the entry records (the lab reopens the checkpoint with them)."""
        return {"settings": S.normalise({**S.defaults_for(self.settings["task"]),
                                         **self.settings})}


@dataclass(frozen=True)
class RunRecipe:
    """A task without lab settings: a plain run config (the task's own solver and training
    defaults fill what it leaves out, as on the CLI), trained for ``steps`` on the CPU.

    ``weights_only`` drops the optimiser state from the file (Adam's moments would triple an
    autoencoder's size; nothing resumes these); ``scores`` adds metrics computed on the trained
    model to the manifest entry.
    """

    config: dict[str, Any]
    steps: int
    weights_only: bool = False
    scores: Callable[[nc.Trainer], dict[str, float]] | None = None

    def run_config(self) -> dict[str, Any]:
        """The ``parse_run_config`` input: ``config`` on the CPU with ``steps``."""
        training = {**self.config.get("training", {}), "steps": self.steps}
        return {**self.config, "device": "cpu", "training": training}

    def manifest_extra(self) -> dict[str, Any]:
        """Nothing beyond the checkpoint's own config."""
        return {}


def image_run(task: str, model: str, **model_cfg: Any) -> dict[str, Any]:
    """A plain run config for an image task: batches of 128, learning rate 1e-2, seed 0, the conv
    block at the library's default width (``model_cfg`` adds model options)."""
    return {"task": task, "model": model, "seed": 0,
            "training": {"batch_size": 128, "lr": 1e-2}, "model_cfg": model_cfg}


def preset_run(preset: str, entry: str) -> dict[str, Any]:
    """The plain run config of ``entry``'s seed-0 job of the named preset (one source for both:
    a pretrained model of a preset's setting is that job, trained for the recipe's steps)."""
    keys = [known.key for known in nc.PRESETS[preset].entries]
    spec = nc.PRESETS[preset].raw_specs(seeds=[0])[keys.index(entry)]  # one job per entry
    return {key: spec[key] for key in ("task", "model", "seed", "solver", "training",
                                       "model_cfg", "task_cfg")}


def latent_clustering(trainer: nc.Trainer) -> dict[str, float]:
    """Clustering accuracy (Hungarian matching, Fig. A.10) of a 10-component full-covariance GMM
    on the latents of every test image, and how many images that is."""
    latents, labels = trainer.task.encode(trainer.model, trainer.task.test_split)
    accuracy = nc.latent_clustering_accuracy(latents, labels, 10, seed=trainer.config.seed)
    return {"test_clustering_accuracy": accuracy, "clustering_images": len(labels)}


def autoencoder_run(task: str, model: str, eval_every: int) -> dict[str, Any]:
    """A plain run config for an autoencoding task at C.4's optimiser: Adam 1e-3, batches of 64,
    the rate halved when the mean training loss of ``eval_every`` steps stops improving."""
    return {"task": task, "model": model, "seed": 0,
            "training": {"batch_size": 64, "lr": 1e-3, "lr_plateau_factor": 0.5,
                         "eval_every": eval_every}}


RECIPES: dict[str, LabRecipe | RunRecipe] = {
    "reflection-node": LabRecipe({"task": "reflection", "model": "node"}, 200, MATCHED),
    "reflection-ncode_open": LabRecipe({"task": "reflection", "model": "ncode_open"}, 200),
    "reflection-ncode_closed": LabRecipe({"task": "reflection", "model": "ncode_closed"}, 200),
    "annuli-node": LabRecipe({"task": "annuli", "model": "node"}, 150, MATCHED),
    "annuli-ncode_open": LabRecipe({"task": "annuli", "model": "ncode_open"}, 150),
    "annuli-ncode_closed": LabRecipe({"task": "annuli", "model": "ncode_closed"}, 150),
    "vanderpol-ncode_open": LabRecipe({"task": "vanderpol", "model": "ncode_open"}, 150),
    "vanderpol-ncode_closed": LabRecipe({"task": "vanderpol", "model": "ncode_closed"}, 150),
    # Fig. 6 at n = 100, m = 5, degradation 0.5 (the task's defaults); the CLI's default run.
    "memorization-ncode_closed": RunRecipe({"task": "memorization", "model": "ncode_closed"},
                                           100),
    # Image classifiers on the bundled 8x8 digits (60 steps, batches of 128, lr 1e-2: the default
    # 3e-2 leaves N-CODE near 0.36 after 60 steps); baselines matched to the open-loop N-CODE.
    "digits-ncode_open": RunRecipe(image_run("digits", "ncode_open"), 60),
    "digits-anode": RunRecipe(image_run("digits", "anode", match_params="ncode_open"), 60),
    "digits-node_dc": RunRecipe(image_run("digits", "node_dc", match_params="ncode_open"), 60),
    "digits-ncode_closed": RunRecipe(image_run("digits", "ncode_closed"), 60),
    # Table 1's open-loop N-CODE on MNIST at the paper's sizes (50 filters, 10 augmented
    # channels, gamma with 10 hidden units, every kernel controlled), the CPU preset's one RK4
    # step, 300 steps at batch 64 (a third of an epoch): the Images page's MNIST model.
    "mnist-ncode_open": RunRecipe(preset_run("table1-mnist-cpu", "ncode"), 300, True),
    # Autoencoders (Sec. 4.4) for the Latent flows page: AutoN-CODE with the AE and VAE of the
    # same architecture. Digits (bundled, what the tests open): 1000 steps, about 45 epochs of
    # the 1437 training images. MNIST (Table A.1's MLP, latent 25): 2000 steps at batch 64,
    # about 2 epochs of the 60k images (the paper trains 50): a CPU budget of minutes each.
    **{f"digits_ae-{model}": RunRecipe(autoencoder_run("digits_ae", model, 250), 1000, True,
                                       latent_clustering)
       for model in ("autoncode", "ae", "vae")},
    **{f"mnist_ae-{model}": RunRecipe(autoencoder_run("mnist_ae", model, 500), 2000, True,
                                      latent_clustering)
       for model in ("autoncode", "ae", "vae")},
}


def rebuild_command(name: str) -> str:
    """The command (from the repo root) that rebuilds only ``name``."""
    return f"python pretrained/build.py --only {name}"


def build(name: str, recipe: LabRecipe | RunRecipe, directory: Path = HERE) -> dict:
    """Train one recipe, save ``<directory>/<name>.pt``, return its manifest entry."""
    config = recipe.run_config()
    steps = recipe.steps
    started = time.perf_counter()
    trainer = nc.Trainer(config, device="cpu")
    result = nc.fit(trainer, steps=steps)
    wall = time.perf_counter() - started
    evaluation = trainer.evaluate()
    if recipe.scores is not None:
        evaluation.update(recipe.scores(trainer))
    state = trainer.state_dict()
    if recipe.weights_only:
        state["optimizer"] = None
    path = directory / f"{name}.pt"
    nc.save_checkpoint(path, state, {**evaluation, "train_loss": result.train_loss})
    metrics = {k: float(v) for k, v in evaluation.items() if isinstance(v, (int, float))}
    log.info("%s: %d steps in %.1f s, %s", name, steps, wall, metrics)
    return {"name": name, "task": config["task"], "model": config["model"], "file": path.name,
            "sha256": nc.file_sha256(path), "rebuild": rebuild_command(name),
            "steps": trainer.step_count, "seed": trainer.config.seed, **recipe.manifest_extra(),
            "metrics": metrics, "params": trainer.parameter_count, "bytes": path.stat().st_size,
            "train_wall_s": round(wall, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(RECIPES),
                        help="rebuild only these (the others keep their manifest entries)")
    parser.add_argument("--out", type=Path, default=HERE,
                        help="folder for the checkpoints and manifest.json (default: %(default)s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    nc.set_threads()
    args.out.mkdir(parents=True, exist_ok=True)
    manifest_path = args.out / nc.MANIFEST_NAME
    entries = {entry["name"]: entry for entry in nc.read_manifest(args.out)} if args.only else {}
    for name in args.only or list(RECIPES):
        entries[name] = build(name, RECIPES[name], args.out)
    ordered = [entries[name] for name in RECIPES if name in entries]
    manifest = {"format": nc.MANIFEST_FORMAT, "built_by": REBUILD_ALL, "checkpoints": ordered}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    total = sum(e["bytes"] for e in ordered)
    log.info("wrote %s (%d checkpoints, %.0f kB)", manifest_path, len(ordered), total / 1024)
    return 0


if __name__ == "__main__":
    sys.exit(main())
