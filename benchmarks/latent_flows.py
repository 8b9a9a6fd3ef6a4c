"""The Latent flows page's two timed operations (issue targets: < 1 s and < 2 s), on the pretrained
autoencoders the page opens, with the same calls the page makes (without Streamlit's caches,
i.e. what a new draw or a new test image costs):

- GMM resample: with a fitted mixture, draw and decode 64 images (``nc.sample_images``) and
  lay them out as the page's grid figure; per model, per number of components.
- Latent trajectory view: 200 other test images plus the chosen one, their x(t) on [0, T] at 50
  times (``task.test_inputs`` + ``nc.trajectory_view``: solve, PCA) and the orbit figure.

Run: nice -n 10 .venv/bin/python benchmarks/latent_flows.py [--task mnist_ae] [--repeats 5]
(MNIST: ``python -m ncode_core data fetch mnist`` and ``NCODE_DATA_DIR``; ``--task digits_ae``
needs nothing).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import ncode_core as nc  # noqa: E402
from app.components import latent_figures as F  # noqa: E402
from benchmarks._timing import median_seconds, print_table  # noqa: E402

PRETRAINED = ROOT / "pretrained"
FIT_IMAGES = 10_000  # as the page
SAMPLES = 64
ORBIT_TIMES = 50  # as the page
OTHERS = 200


def open_trainer(name: str) -> nc.Trainer:
    """The Trainer of pretrained entry ``name`` (as the page's ``resources.pretrained_trainer``)."""
    payload = nc.load_pretrained(PRETRAINED, name)
    trainer = nc.Trainer(payload["config"], device="cpu")
    trainer.load_state_dict(nc.trainer_state_from_checkpoint(payload))
    return trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="mnist_ae")
    parser.add_argument("--components", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="as the dashboard (NCODE_THREADS)")
    args = parser.parse_args()
    nc.set_threads(args.threads)

    entries = [e for e in nc.read_manifest(PRETRAINED) if e["task"] == args.task]
    if not entries:
        sys.exit(f"no pretrained {args.task} entries in {PRETRAINED}: run pretrained/build.py")
    rows = []
    for entry in entries:
        trainer = open_trainer(entry["name"])
        model, task = trainer.model, trainer.task
        latents, _ = task.encode(model, task.train_split, FIT_IMAGES)
        for components in args.components:
            started = time.perf_counter()
            mixture = nc.fit_gmm(latents, components, "full")
            fit_s = time.perf_counter() - started
            draws = iter(range(10**6))  # a new seed per call, as the Resample button

            def resample() -> None:
                images = nc.sample_images(model, mixture, SAMPLES, next(draws)).numpy()
                F.image_grid_figure(images, 8, "samples")

            rows.append([entry["name"], f"GMM resample, {components} components",
                         f"{median_seconds(resample, args.repeats, warmup=1):.3f}", "< 1",
                         f"fit (cached by the page) {fit_s:.1f} s on {len(latents)} latents"])
        if not model.controlled:
            continue

        def orbits() -> None:
            images, labels, x0 = task.test_inputs(torch.arange(OTHERS + 1))
            view = nc.trajectory_view(model, images, ORBIT_TIMES, x0)
            F.trajectories_figure(view.points, view.explained, 0, labels.numpy(), "orbits")

        rows.append([entry["name"], f"trajectory view, {OTHERS} + 1 images, {ORBIT_TIMES} times",
                     f"{median_seconds(orbits, args.repeats, warmup=1):.3f}", "< 2", ""])
    print(f"{args.task}: median of {args.repeats} repeats after one warm-up, "
          f"{args.threads} thread(s), CPU")
    print_table(["entry", "operation", "median s", "target s", "note"], rows)


if __name__ == "__main__":
    main()
