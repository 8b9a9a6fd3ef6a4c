"""Cost of the image tasks' conv block (1x1 -> 3x3 -> 1x1) with per-sample kernels from theta
(one grouped convolution over the batch), against the static block of the same size (shared
kernels) and a Python loop over samples with each sample's kernels.

Forward + backward of one field evaluation (gradients to x and theta or the block's weights),
float32, one thread, reported as samples/s. Target: controlled <= 1.3x the static block's time.
Run: .venv/bin/python benchmarks/conv_block.py  (paper size: 11 channels, 50 filters, 28x28)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._timing import median_seconds, print_table  # noqa: E402
from ncode_core.dynamics import PerSampleConvField, SharedConvField  # noqa: E402
from ncode_core.dynamics.conv_fields import KERNEL_NAMES  # noqa: E402


def loop_over_samples(field: PerSampleConvField, x: torch.Tensor, theta: torch.Tensor):
    """The reference the grouped convolution replaces: the block once per sample."""
    kernels = field.unpack(theta)
    rows = []
    for index in range(x.shape[0]):
        hidden = x[index: index + 1]
        for position, name in enumerate(KERNEL_NAMES):
            if name in kernels:
                weight, bias = kernels[name]
                hidden = F.conv2d(hidden, weight[index], bias[index],
                                  padding=weight.shape[-1] // 2)
            else:
                hidden = field.static[name](hidden)
            hidden = F.relu(hidden) if position < len(KERNEL_NAMES) - 1 else hidden
        rows.append(hidden)
    return torch.cat(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--channels", type=int, default=11, help="c + augmented channels")
    parser.add_argument("--filters", type=int, default=50)
    parser.add_argument("--size", type=int, default=28, help="image height = width")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    x = torch.randn(args.batch, args.channels, args.size, args.size, requires_grad=True)
    shared = SharedConvField(args.channels, args.filters, args.channels)

    def samples_per_s(evaluate, repeats: int) -> float:
        return args.batch / median_seconds(lambda: evaluate().sum().backward(), repeats)

    static_rate = samples_per_s(lambda: shared(x), args.repeats)
    rows = [["static (shared kernels)", "-", f"{static_rate:.0f}", "1.00x"]]
    for controlled in ("all", "3x3"):
        field = PerSampleConvField(args.channels, args.filters, controlled)
        theta = field.initial_theta().expand(args.batch, -1).clone().requires_grad_(True)
        rate = samples_per_s(lambda: field(x, theta), args.repeats)
        loop_rate = samples_per_s(lambda: loop_over_samples(field, x, theta),
                                  max(3, args.repeats // 5))
        rows.append([f"controlled {controlled}, grouped conv", field.theta_size, f"{rate:.0f}",
                     f"{static_rate / rate:.2f}x"])
        rows.append([f"controlled {controlled}, loop over samples", field.theta_size,
                     f"{loop_rate:.0f}", f"{static_rate / loop_rate:.2f}x"])
    print(f"conv block forward+backward: batch {args.batch}, {args.channels} channels, "
          f"{args.filters} filters, {args.size}x{args.size}, 1 thread")
    print_table(["block", "theta size", "samples/s", "time / static"], rows)


if __name__ == "__main__":
    main()
