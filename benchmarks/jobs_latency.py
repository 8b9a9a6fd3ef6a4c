"""Jobs: submit-to-running latency with a warm worker, and the dashboard's polling cost.

1. A worker pool (2 slots, so one is free while the previous job's process exits) is started
   and waited for (warm). Then ``--jobs`` one-step jobs are submitted one
   after another; for each: seconds until the job is claimed (``running``), until its fresh Python
   process reports itself (pid set: interpreter + torch import), and until its first metric row.
2. A store with 50 jobs and 10,000 metric rows: the work one poll of the Jobs page's monitor
   fragment does (open store, refresh states, list jobs, build the table, read the selected job's
   history, build its figure), median of ``--repeats``; then the whole page in AppTest.
   The fragment polls every 2 s: the cost must stay well under that.

Run: .venv/bin/python benchmarks/jobs_latency.py [--jobs 5] [--poll 0.5] [--repeats 20]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks._timing import median_seconds, print_table  # noqa: E402
from ncode_core.jobs import JobStore, refresh_jobs, submit_job, validate_job_spec  # noqa: E402
from ncode_core.jobs.local import child_environment  # noqa: E402


def _wait(predicate, timeout: float = 120.0, interval: float = 0.01):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("benchmark condition not reached")


def submit_latency(runs: Path, jobs: int, poll: float) -> list[list[object]]:
    env = child_environment(runs)
    worker = subprocess.Popen([sys.executable, "-m", "ncode_core", "worker", "--slots", "2",
                               "--poll", str(poll), "--runs-dir", str(runs)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    store = JobStore(runs)
    try:
        _wait(lambda: store.live_workers(), 60)
        claimed, started, first = [], [], []
        for index in range(jobs):
            t0 = time.perf_counter()
            job = submit_job({"task": "reflection", "model": "ncode_open", "steps": 1,
                              "name": f"latency{index}"}, runs, start_worker=False)
            _wait(lambda: store.require(job.id).status != "queued")
            claimed.append(time.perf_counter() - t0)
            _wait(lambda: store.require(job.id).pid or store.require(job.id).terminal)
            started.append(time.perf_counter() - t0)
            _wait(lambda: store.metric_steps(job.id) or store.require(job.id).terminal)
            first.append(time.perf_counter() - t0)
            done = _wait(lambda: (j := store.require(job.id)).terminal and j)
            assert done.status == "succeeded", done.error
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        store.close()
    return [[name, f"{statistics.median(values):.3f}", f"{min(values):.3f}",
             f"{max(values):.3f}"]
            for name, values in (("submit -> running (claimed)", claimed),
                                 ("submit -> job process started", started),
                                 ("submit -> first metric row", first))]


def fill_store(runs: Path, jobs: int = 50, rows: int = 10_000) -> int:
    """50 jobs in mixed states, 10,000 metric rows in all (the selected job holds 2,000)."""
    store = JobStore(runs)
    spec = validate_job_spec({"task": "annuli", "model": "ncode_open", "steps": 2000})
    rng = random.Random(0)
    ids = [store.create_job(spec).id for _ in range(jobs)]
    selected = ids[-1]
    per_job = {job_id: (rows - 2000) // (jobs - 1) for job_id in ids[:-1]}
    per_job[selected] = 2000
    for job_id, count in per_job.items():
        store.claim_next("bench")
        store.log_metrics(job_id, [{"step": s, "train_loss": rng.random(), "nfe_forward": 26,
                                    "nfe_backward": 19, "step_s": 0.02, "train_accuracy": 0.9}
                                   for s in range(1, count + 1)])
        if job_id != selected:
            store.finish(job_id, rng.choice(["succeeded", "failed", "cancelled"]), "bench")
    total = store._conn.execute("SELECT COUNT(*) FROM metrics").fetchone()[0]
    store.close()
    assert total >= rows - jobs, total
    return selected


def polling_cost(runs: Path, selected: int, repeats: int) -> list[list[object]]:
    from app.components import jobs_figures

    def one_poll() -> None:
        with JobStore(runs) as store:
            refresh_jobs(store, sync_ray=False)
            jobs = store.list_jobs(limit=500)
            jobs_figures.jobs_table(jobs)
            history = store.metrics(selected)
        names = jobs_figures.metric_names(history)
        jobs_figures.metric_figure({"selected": history}, names[0])

    def read_only() -> None:
        with JobStore(runs) as store:
            store.list_jobs(limit=500)
            store.metrics(selected)

    rows = [["store reads only (list 50 jobs + 2,000-row history)",
             f"{median_seconds(read_only, repeats) * 1000:.1f}"],
            ["one monitor poll (refresh, table, history, figure)",
             f"{median_seconds(one_poll, repeats) * 1000:.1f}"]]
    from streamlit.testing.v1 import AppTest

    os.environ["NCODE_RUNS_DIR"] = str(runs)

    def page_run() -> None:
        at = AppTest.from_file(str(ROOT / "app" / "app_pages" / "jobs.py"), default_timeout=60)
        at.run()
        assert not at.exception, at.exception

    rows.append(["whole Jobs page in AppTest (incl. form, compare)",
                 f"{median_seconds(page_run, max(3, repeats // 4), warmup=1) * 1000:.1f}"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5)
    parser.add_argument("--poll", type=float, default=0.5, help="worker poll interval (s)")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("NCODE_THREADS", "1")
    with tempfile.TemporaryDirectory(prefix="ncode-bench-") as folder:
        latency = submit_latency(Path(folder) / "latency", args.jobs, args.poll)
        print(f"Submit-to-running latency, warm worker (poll {args.poll} s), "
              f"{args.jobs} one-step jobs, seconds:")
        print_table(["stage", "median", "min", "max"], latency)
        print()
        selected = fill_store(Path(folder) / "polling")
        print("Dashboard polling cost, 50 jobs / 10,000 metric rows (poll interval 2 s), ms:")
        print_table(["what", "median ms"], polling_cost(Path(folder) / "polling", selected,
                                                        args.repeats))


if __name__ == "__main__":
    main()
