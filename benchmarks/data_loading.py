"""Cost of getting one training batch of images, so image training knows data loading does not
dominate a step: ImageSplit.batch (uint8 in memory -> float32 in [0, 1]) against torchvision's
Dataset + DataLoader (ToTensor, no workers), beside one forward+backward evaluation of a plain
conv block of the paper's field size (1x1 -> 3x3 -> 1x1, 50 filters, 1 + 10 augmented channels)
as a yardstick: a dopri5 training step costs tens of such evaluations.

Needs the dataset present (python -m ncode_core data fetch mnist).
Run: .venv/bin/python benchmarks/data_loading.py [--dataset mnist] [--batch 128]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision.transforms import ToTensor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._timing import median_seconds, print_table  # noqa: E402
from ncode_core.data import DataError, load_dataset, load_split  # noqa: E402
from ncode_core.runtime import set_threads  # noqa: E402


def conv_block_yardstick(channels: int) -> nn.Module:
    """A static conv block of the paper's field size (no ODE, no control): a cost yardstick."""
    width = channels + 10
    return nn.Sequential(nn.Conv2d(width, 50, 1), nn.ReLU(), nn.Conv2d(50, 50, 3, padding=1),
                         nn.ReLU(), nn.Conv2d(50, width, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--root", default=None, help="data root (default: $NCODE_DATA_DIR or ./data)")
    args = parser.parse_args()
    set_threads()

    started = time.perf_counter()
    split = load_split(args.dataset, "train", args.root)
    load_s = time.perf_counter() - started
    generator = torch.Generator().manual_seed(0)
    in_memory = median_seconds(
        lambda: split.batch(torch.randint(len(split), (args.batch,), generator=generator)),
        args.repeats)

    try:
        loader = DataLoader(load_dataset(args.dataset, "train", args.root, transform=ToTensor()),
                            batch_size=args.batch, shuffle=True, num_workers=0)
        batches = iter(loader)
        dataloader = f"{median_seconds(lambda: next(batches), max(10, args.repeats // 10)) * 1e3:.3f}"
    except DataError as error:  # digits has no torchvision dataset
        dataloader = f"n/a ({error})"

    block = conv_block_yardstick(split.image_shape[0])
    images, _ = split.batch(torch.arange(args.batch))
    state = torch.cat([images, images.new_zeros(args.batch, 10, *images.shape[2:])], 1)
    field = median_seconds(lambda: block(state).square().mean().backward(), 5, warmup=1)

    print(f"{args.dataset} train: {len(split)} images {split.image_shape}, load_split {load_s:.2f} s; "
          f"batch {args.batch}; {torch.get_num_threads()} torch thread(s)")
    print_table(["per batch", "ms"], [
        ["ImageSplit.batch (random indices)", f"{in_memory * 1e3:.3f}"],
        ["torchvision Dataset + DataLoader", dataloader],
        ["yardstick: one conv-block evaluation fwd+bwd", f"{field * 1e3:.3f}"],
    ])


if __name__ == "__main__":
    main()
