"""Per-test wall time of the default suite at two commits, side by side.

Each commit is exported (``git archive``) to a temporary folder that uses this checkout's
``.venv``; each group of tests (one pytest run: module- and session-scoped fixtures are shared
inside a group, as in ``make test``) then runs at one commit, then at the other, alternating
the order from group to group and round to round, so the load of a shared machine falls on both
alike. A test's time is its setup + call + teardown as pytest reports them (``--durations``);
the table shows the median over rounds, the group's whole pytest run included.

Run from the repository root (nice'd on a shared machine), e.g. the suite's slowest tests:

    .venv/bin/python benchmarks/test_durations.py --before d9075aa --after HEAD --rounds 2

``--group PATH_OR_NODE`` (repeatable) picks other groups; ``CI=true`` is set (as ``.ci/run``
does), so a missing Chromium or Ray fails instead of skipping.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._timing import print_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# the modules of the slowest tests of a full run (job processes, faults, Ray, browser)
DEFAULT_GROUPS = [
    "tests/unit/test_jobs_ray.py",
    "tests/unit/test_jobs_processes.py",
    "tests/faults/test_store_faults.py",
    "tests/faults/test_runner_faults.py",
    "tests/faults/test_write_faults.py",
    "tests/e2e",
]
DURATION = re.compile(r"^\s*([0-9.]+)s (setup|call|teardown)\s+(\S+)")


def export(commit: str, into: Path) -> Path:
    """The tree of ``commit`` under ``into``, with this checkout's .venv linked in."""
    archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=ROOT, check=True,
                             capture_output=True).stdout
    folder = into / commit.replace("/", "_")
    folder.mkdir()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    (folder / ".venv").symlink_to((ROOT / ".venv").resolve())
    return folder


def run_group(folder: Path, group: str) -> tuple[float, dict[str, float], str]:
    """One pytest run of ``group`` in ``folder``: wall seconds, seconds per test id (setup +
    call + teardown) and the summary line."""
    env = {**os.environ, "CI": "true"}
    started = time.perf_counter()
    done = subprocess.run([str(folder / ".venv" / "bin" / "python"), "-m", "pytest",
                           *group.split(), "-q",
                           "-p", "no:cacheprovider", "--durations=0", "--durations-min=0"],
                          cwd=folder, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    per_test: dict[str, float] = defaultdict(float)
    for line in done.stdout.splitlines():
        match = DURATION.match(line)
        if match:
            per_test[match.group(3)] += float(match.group(1))
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]
    return wall, dict(per_test), summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="commit measured first column")
    parser.add_argument("--after", default="HEAD", help="commit measured second column")
    parser.add_argument("--group", action="append",
                        help="pytest paths or node ids, space-separated, run in one pytest "
                             "(repeatable)")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    groups = args.group or DEFAULT_GROUPS
    commits = [args.before, args.after]
    walls: dict[tuple[str, str], list[float]] = defaultdict(list)
    tests: dict[tuple[str, str], list[float]] = defaultdict(list)
    members: dict[str, set[str]] = defaultdict(set)  # the test ids each group ran
    with tempfile.TemporaryDirectory(prefix="ncode-durations-") as scratch:
        folders = {commit: export(commit, Path(scratch)) for commit in commits}
        for round_index in range(args.rounds):
            for index, group in enumerate(groups):
                order = commits if (index + round_index) % 2 == 0 else commits[::-1]
                for commit in order:
                    wall, per_test, summary = run_group(folders[commit], group)
                    print(f"round {round_index + 1} {commit} {group}: {wall:.1f} s ({summary})",
                          file=sys.stderr, flush=True)
                    walls[(group, commit)].append(wall)
                    for test, seconds in per_test.items():
                        print(f"  {seconds:7.1f} s  {test}", file=sys.stderr, flush=True)
                        tests[(test, commit)].append(seconds)
                        members[group].add(test)
    rows = []
    for number, group in enumerate(groups, start=1):
        print(f"group {number}: {group}")
        before, after = (statistics.median(walls[(group, c)]) for c in commits)
        rows.append([f"[group {number}: whole pytest run]", f"{before:.1f}", f"{after:.1f}",
                     f"{after - before:+.1f}"])
        names = sorted(members[group],
                       key=lambda t: -statistics.median(tests.get((t, args.before), [0.0])))
        for name in names:
            values = [statistics.median(tests[(name, c)]) if (name, c) in tests else None
                      for c in commits]
            cells = [f"{v:.1f}" if v is not None else "-" for v in values]
            change = (f"{values[1] - values[0]:+.1f}" if None not in values else "-")
            rows.append([name, *cells, change])
    total = [sum(statistics.median(walls[(g, c)]) for g in groups) for c in commits]
    rows.append(["[all groups, wall]", f"{total[0]:.1f}", f"{total[1]:.1f}",
                 f"{total[1] - total[0]:+.1f}"])
    print_table(["test (setup + call + teardown, median s)", args.before, args.after, "change"],
                rows)


if __name__ == "__main__":
    main()
