"""Train the small checkpoints the dashboard opens instantly and write ``manifest.json``.

    make pretrained                       # all of them (a few minutes on 2 CPU cores)
    python pretrained/build.py --only annuli-ncode_open

Each entry trains through the library (``ncode_core.Trainer``): a lab task's recipe with the
lab's own settings (so the lab can keep training it), a task without lab settings (the image
tasks) from a plain run config (``parse_run_config``'s input). It evaluates the held-out split and records those metrics, the file's
sha256 (``ncode_core.load_pretrained`` refuses a file that no longer matches) and the command that
rebuilds it: nothing in the manifest is typed in by hand.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ncode_core as nc  # noqa: E402
from app.components import settings as S  # noqa: E402

HERE = Path(__file__).resolve().parent
REBUILD_ALL = "make pretrained"
log = logging.getLogger("pretrained")

# Baselines are parameter-matched to the open-loop N-CODE they are shown beside.
MATCHED = {"model_cfg": {"match_params": "ncode_open"}}


def image_recipe(task: str, model: str, steps: int, **model_cfg) -> dict:
    """A plain run config for an image task (no lab settings): CPU, batches of 128, learning
    rate 1e-2 (the default 3e-2 leaves N-CODE near 0.36 on digits after 60 steps), ``steps``
    optimiser steps (``training.steps``), the conv block at the library's default width."""
    return {"task": task, "model": model, "seed": 0, "device": "cpu",
            "training": {"batch_size": 128, "lr": 1e-2, "steps": steps}, "model_cfg": model_cfg}


# name -> (lab settings overrides, optimiser steps, run-config sections beyond the lab's settings)
# or a plain run config (a dict) for a task without lab settings.
RECIPES: dict[str, tuple[dict, int, dict] | dict] = {
    "reflection-node": ({"task": "reflection", "model": "node"}, 200, MATCHED),
    "reflection-ncode_open": ({"task": "reflection", "model": "ncode_open"}, 200, {}),
    "reflection-ncode_closed": ({"task": "reflection", "model": "ncode_closed"}, 200, {}),
    "annuli-node": ({"task": "annuli", "model": "node"}, 150, MATCHED),
    "annuli-ncode_open": ({"task": "annuli", "model": "ncode_open"}, 150, {}),
    "annuli-ncode_closed": ({"task": "annuli", "model": "ncode_closed"}, 150, {}),
    "vanderpol-ncode_open": ({"task": "vanderpol", "model": "ncode_open"}, 150, {}),
    "vanderpol-ncode_closed": ({"task": "vanderpol", "model": "ncode_closed"}, 150, {}),
    "digits-ncode_open": image_recipe("digits", "ncode_open", 60),
    "digits-anode": image_recipe("digits", "anode", 60, match_params="ncode_open"),
    "digits-node_dc": image_recipe("digits", "node_dc", 60, match_params="ncode_open"),
    "digits-ncode_closed": image_recipe("digits", "ncode_closed", 60),
}


def rebuild_command(name: str) -> str:
    """The command (from the repo root) that rebuilds only ``name``."""
    return f"python pretrained/build.py --only {name}"


def recipe_config(recipe: tuple[dict, int, dict] | dict) -> tuple[dict, int, dict | None]:
    """(run config, optimiser steps, lab settings or None) of a recipe of either form."""
    if isinstance(recipe, dict):
        return recipe, recipe["training"]["steps"], None
    overrides, steps, *sections_given = recipe
    sections = sections_given[0] if sections_given else {}
    settings = {**S.defaults_for(overrides["task"]), **overrides}
    config = S.to_run_config(settings, steps=steps)
    for section, values in sections.items():
        config[section] = {**config[section], **values}
    return config, steps, S.normalise(settings)


def build(name: str, recipe: tuple[dict, int, dict] | dict, directory: Path = HERE) -> dict:
    """Train one recipe, save ``<directory>/<name>.pt``, return its manifest entry (lab
    recipes record their lab ``settings``, plain ones their run ``config``)."""
    config, steps, settings = recipe_config(recipe)
    started = time.perf_counter()
    trainer = nc.Trainer(config, device="cpu")
    result = nc.fit(trainer, steps=steps)
    wall = time.perf_counter() - started
    evaluation = trainer.evaluate()
    path = directory / f"{name}.pt"
    nc.save_checkpoint(path, trainer.state_dict(), {**evaluation, "train_loss": result.train_loss})
    metrics = {k: float(v) for k, v in evaluation.items() if isinstance(v, (int, float))}
    log.info("%s: %d steps in %.1f s, %s", name, steps, wall, metrics)
    described = {"config": config} if settings is None else {"settings": settings}
    return {"name": name, "task": config["task"], "model": config["model"], "file": path.name,
            "sha256": nc.file_sha256(path), "rebuild": rebuild_command(name),
            "steps": trainer.step_count, "seed": config["seed"], **described,
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
