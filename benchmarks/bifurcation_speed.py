"""Bifurcation explorer redraw time: equilibria continued along a line of x(0) at 100 positions.

For every pretrained annuli model (and, for reference, the closed-form saddle-node, pitchfork and
Hopf families of the tests) the median wall time of: the continuation (Newton from the grid,
the neighbour-seeded pass, event location), the diagram figure (built and serialised to JSON as
Streamlit sends it), and both together: what the page pays when the line changes. Moving x(0)
along the line reuses the continuation and pays the figure only.
Target: < 1 s in total for 100 positions.
Run: .venv/bin/python benchmarks/bifurcation_speed.py [--positions 100] [--repeats 5]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from app.components.bifurcation_figures import bifurcation_diagram_figure  # noqa: E402
from benchmarks._timing import median_seconds, print_table  # noqa: E402
import ncode_core as nc  # noqa: E402

ANGLE = math.radians(20)  # the explorer's default line: from the centre at 20 degrees
REACH = 1.5


def pretrained(name: str) -> nc.TaskModel:
    """The model of ``pretrained/<name>.pt``."""
    payload = nc.load_checkpoint(ROOT / "pretrained" / f"{name}.pt")
    trainer = nc.Trainer(payload["config"], device="cpu")
    trainer.load_state_dict(nc.trainer_state_from_checkpoint(payload))
    return trainer.model


def closed_form(name: str):
    """(family, starts) of the tests' normal forms, the parameter moved to [-1, 1]."""
    if name == "hopf":
        def family(p):
            def field(x, which):
                mu, a, b = p[which], x[:, 0], x[:, 1]
                r2 = a * a + b * b
                return torch.stack([mu * a - b - a * r2, a + mu * b - b * r2], dim=1)
            return field
        return family, nc.grid_starts([-2, -2], [2, 2], 10)
    if name == "saddle-node":
        return (lambda p: lambda x, w: p[w, None] + x ** 2), nc.grid_starts([-2], [2], 41)
    return (lambda p: lambda x, w: p[w, None] * x - x ** 3), nc.grid_starts([-2], [2], 41)


def row(label: str, compute, repeats: int) -> list[object]:
    """Median seconds of the continuation, of the figure, of both; equilibria and events."""
    result = compute()
    continuation_s = median_seconds(compute, repeats, warmup=1)
    figure_s = median_seconds(lambda: bifurcation_diagram_figure(result, 0.3).to_json(),
                              repeats, warmup=1)
    mean_count = np.mean([len(e.points) for e in result.equilibria])
    events = ", ".join(f"{e.kind}@{e.position:.3f}" for e in result.events) or "-"
    return [label, len(result.positions), f"{continuation_s:.3f}", f"{figure_s:.3f}",
            f"{continuation_s + figure_s:.3f}", f"{mean_count:.2f}", events]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--models", nargs="*",
                        default=["annuli-ncode_open", "annuli-ncode_closed", "annuli-node"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    end = [REACH * math.cos(ANGLE), REACH * math.sin(ANGLE)]
    rows = []
    for name in args.models:
        model = pretrained(name)
        rows.append(row(name, lambda: nc.equilibria_along_line(
            model, [0.0, 0.0], end, args.positions, half_width=1.9), args.repeats))
    for name in ("saddle-node", "pitchfork", "hopf"):
        family, starts = closed_form(name)
        positions = np.linspace(-1.0, 1.0, args.positions)
        rows.append(row(name, lambda: nc.continue_equilibria(family, positions, starts,
                                                            precision=1e-4), args.repeats))
    print_table(["field", "positions", "continuation s", "figure s", "total s",
                 "equilibria/pos", "events"], rows)


if __name__ == "__main__":
    main()
