"""Pure builders for the Jobs page: job rows -> tables, metric histories -> plotly figures.
No ``st.*`` calls; unit-tested without Streamlit."""

from __future__ import annotations

import math
import time
from typing import Any

import pandas as pd
import plotly.graph_objects as go

import ncode_core as nc

SKIP_METRICS = {"step"}


def format_eta(seconds: float | None) -> str:
    """``1h05m`` / ``3m07s`` / ``-``."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s"


def jobs_table(jobs: list[Any], now: float | None = None) -> pd.DataFrame:
    """One row per job: id, name, task, model, status, progress (0-1), step, ETA, error."""
    now = time.time() if now is None else now
    rows = []
    for job in jobs:
        progress = nc.job_progress(job, now)
        rows.append({
            "id": job.id, "name": job.name, "task": job.task, "model": job.model,
            "status": job.status,
            "progress": progress["progress"], "step": f"{job.step}/{job.steps}",
            "ETA": format_eta(progress["eta_s"]) if job.status == "running" else "-",
            "executor": job.executor,
            "tags": ", ".join(job.spec.get("tags") or []),
            "created": time.strftime("%m-%d %H:%M", time.localtime(job.created_at)),
            "error": job.error or "",
        })
    columns = ["id", "name", "task", "model", "status", "progress", "step", "ETA", "executor",
               "tags", "created", "error"]
    return pd.DataFrame(rows, columns=columns)


def metric_names(rows: list[dict[str, Any]]) -> list[str]:
    """Numeric metrics present in a history: train_loss, test_loss, other losses, the rest."""
    names: dict[str, None] = {}
    for row in rows:
        for key, value in row.items():
            if key not in SKIP_METRICS and isinstance(value, (int, float)) \
                    and not isinstance(value, bool):
                names.setdefault(key, None)
    first = ("train_loss", "test_loss")
    return sorted(names, key=lambda n: (n not in first, first.index(n) if n in first else 0,
                                        not n.endswith("loss"), n))


def metric_figure(histories: dict[str, list[dict[str, Any]]], metric: str,
                  log_y: bool = False) -> go.Figure:
    """Curves of ``metric`` against step, one trace per history label (overlaid runs)."""
    figure = go.Figure()
    for label, rows in histories.items():
        points = [(row["step"], row[metric]) for row in rows
                  if isinstance(row.get(metric), (int, float))]
        mode = "lines" if len(points) > 30 else "lines+markers"
        figure.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points],
                                    mode=mode, name=label))
    figure.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10),
                         xaxis_title="step", yaxis_title=metric, uirevision=metric,
                         legend=dict(orientation="h", y=-0.25))
    if log_y:
        figure.update_yaxes(type="log")
    return figure


def final_metrics_table(jobs: list[Any], last_rows: dict[int, dict[str, Any]]) -> pd.DataFrame:
    """Compare runs: each job's final result (or last logged metrics) side by side."""
    rows = []
    for job in jobs:
        source = job.result or last_rows.get(job.id, {})
        row: dict[str, Any] = {"id": job.id, "name": job.name, "model": job.model,
                               "status": job.status, "step": job.step}
        row.update({k: v for k, v in source.items()
                    if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "step"})
        rows.append(row)
    return pd.DataFrame(rows)
