"""CLI commands ``data list`` and ``data fetch NAME`` (the datasets and the FID weights)."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from ncode_core.cli_output import emit
from ncode_core.data import DATASETS, data_root, dataset_spec, dataset_status, fetch_dataset


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``data list`` and ``data fetch`` to the CLI."""
    data = subparsers.add_parser("data", help="datasets and the FID weights: what is present, "
                                              "and fetching them")
    actions = data.add_subparsers(dest="data_command", required=True)

    listing = actions.add_parser("list", help="datasets present under the data root, with hashes")
    _common_flags(listing)
    listing.set_defaults(handler=run_list)

    fetch = actions.add_parser("fetch", help="provide a dataset (or the FID weights: inception) "
                                             "under the data root (checksummed)")
    fetch.add_argument("name", help=f"one of {', '.join(DATASETS)}")
    _common_flags(fetch)
    fetch.set_defaults(handler=run_fetch)


def _common_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", default=None,
                        help="data root (default: $NCODE_DATA_DIR or ./data)")
    parser.add_argument("--json", action="store_true", help="last line: one JSON object")


def _emit(payload: dict[str, Any], as_json: bool, lines: list[str]) -> None:
    emit(payload, as_json, [] if as_json else lines)


def run_list(args: argparse.Namespace) -> int:
    """Print each dataset: present or not, where, its files' sha256; how to provide the absent."""
    root = data_root(args.root)
    statuses = [dataset_status(name, root) for name in DATASETS]
    lines = [f"data root: {root}"]
    for status in statuses:
        state = "present" if status.present else "absent"
        lines.append(f"{status.name:<14} {state:<8} {status.label}  [{status.location}]")
        lines += [f"    {f.path}  sha256 {f.sha256}" + ("" if f.verified is not False
                                                         else "  (does not match its pin)")
                  for f in status.files if f.present]
        if not status.present:
            lines.append(f"    to provide it: {status.how_to_provide}")
    _emit({"root": str(root), "datasets": {s.name: asdict(s) for s in statuses}}, args.json,
          lines)
    return 0


def run_fetch(args: argparse.Namespace) -> int:
    """Provide one dataset; report the source used and the files written with their sha256."""
    spec = dataset_spec(args.name)  # an unknown name fails before anything is created
    report = fetch_dataset(spec, args.root)
    lines = [f"{report.name}: {report.source} in {report.location} ({report.wall_s:.1f} s)"]
    lines += [f"    removed {path} (failed its digest)" for path in report.removed]
    lines += [f"    {path}  sha256 {digest}" + ("  (written)" if path in report.written else "")
              for path, digest in report.files.items()]
    _emit(asdict(report), args.json, lines)
    return 0
