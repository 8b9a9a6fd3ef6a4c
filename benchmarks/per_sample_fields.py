"""Cost of evaluating an MLP vector field with per-sample weights (N-CODE's theta), batched
(PerSampleMLPField: elementwise for small states, bmm above), against a Python loop over samples
and an ordinary shared-weight MLP of the same size.

Forward + backward of one field evaluation, float32, one thread. Target: batched per-sample
<= 1.5x the shared-weight field.  Run: .venv/bin/python benchmarks/per_sample_fields.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._timing import median_seconds, print_table  # noqa: E402
from ncode_core.dynamics import PerSampleMLPField, SharedMLPField  # noqa: E402


def loop_over_samples(field: PerSampleMLPField, x: torch.Tensor, theta: torch.Tensor):
    """The reference the batched field replaces: one small MLP call per sample."""
    rows = []
    for index in range(x.shape[0]):
        w1, b1, w2, b2 = (t[0] for t in field.unpack(theta[index: index + 1]))
        rows.append(F.linear(torch.tanh(F.linear(x[index], w1, b1)), w2, b2))
    return torch.stack(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--dim", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for hidden in (16, 64):
        field = PerSampleMLPField(args.dim, hidden)
        shared = SharedMLPField(args.dim, args.dim, hidden)
        x = torch.randn(args.batch, args.dim, requires_grad=True)
        theta = field.initial_theta().expand(args.batch, -1).clone().requires_grad_(True)

        def step(evaluate):
            return lambda: evaluate().sum().backward()

        shared_s = median_seconds(step(lambda: shared(x)), args.repeats)
        batched_s = median_seconds(step(lambda: field(x, theta)), args.repeats)
        loop_s = median_seconds(step(lambda: loop_over_samples(field, x, theta)),
                                max(3, args.repeats // 50))
        rows.append([hidden, f"{shared_s * 1e3:.3f}", f"{batched_s * 1e3:.3f}",
                     f"{loop_s * 1e3:.1f}", f"{batched_s / shared_s:.2f}x",
                     f"{loop_s / batched_s:.0f}x"])
    print(f"field forward+backward, batch {args.batch}, dim {args.dim}, 1 thread (median ms)")
    print_table(["hidden", "shared ms", "per-sample batched ms", "python loop ms",
                 "batched / shared", "loop / batched"], rows)


if __name__ == "__main__":
    main()
