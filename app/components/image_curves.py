"""Training curves of image-classification jobs, as Fig. A.2 draws them: test accuracy and the
forward / backward NFE per training step against epochs, per model setting, seeds as bands, the
paper's Table 1 number as a reference line. Pure (no st.* calls): jobs and their logged metric
rows in, curves and a plotly figure out."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import ncode_core as nc
from app.components.figures import CURVE_COLORS, Curve, _layout, add_seed_band
from app.components.table1 import is_paper_setting, job_epochs

CURVE_METRICS = ("test_accuracy", "nfe_forward", "nfe_backward")
PANEL_TITLES = ("test accuracy", "forward NFE per training step",
                "backward NFE per training step")
SHOWN_STATES = ("running", "succeeded")  # jobs whose curves are drawn


def setting_label(job: nc.Job) -> str:
    """The model setting a job's curve belongs to: the family's label, and for N-CODE with only
    some kernels controlled, which ones (the paper's "NCODE 3x3")."""
    label = nc.MODELS[job.model].info.label
    if is_paper_setting(job):
        return label
    kernels = nc.ImageConfig.model_validate(job.spec.get("task_cfg", {})).controlled_kernels
    return f"{label}, {kernels} kernels controlled"


def job_curves(job: nc.Job, rows: Sequence[dict[str, Any]]) -> dict[str, Curve]:
    """One job's curves against epochs (:meth:`ImageTask.epochs` of its batch size and task
    config): ``test_accuracy`` at each evaluation, ``nfe_forward`` / ``nfe_backward`` the mean
    over the training steps since the previous evaluation (and over the steps after the last
    one, for a running job). A metric the job never logged has no entry."""
    def epochs(steps: Sequence[int]) -> np.ndarray:
        return np.array(job_epochs(job, list(steps)))

    rows = sorted(rows, key=lambda row: row["step"])
    curves: dict[str, Curve] = {}
    evaluated = [row for row in rows if "test_accuracy" in row]
    if evaluated:
        curves["test_accuracy"] = (epochs([row["step"] for row in evaluated]),
                                   np.array([row["test_accuracy"] for row in evaluated], float))
    ends = [row["step"] for row in evaluated]
    if rows and (not ends or rows[-1]["step"] > ends[-1]):
        ends.append(rows[-1]["step"])
    for metric in CURVE_METRICS[1:]:
        means, starts = [], [0] + ends[:-1]
        for start, end in zip(starts, ends):
            window = [row[metric] for row in rows if start < row["step"] <= end and metric in row]
            means.append(np.mean(window) if window else np.nan)
        kept = [(end, mean) for end, mean in zip(ends, means) if np.isfinite(mean)]
        if kept:
            curves[metric] = (epochs([end for end, _ in kept]), np.array([m for _, m in kept]))
    return curves


def curves_by_setting(jobs: Sequence[nc.Job], histories: dict[int, Sequence[dict[str, Any]]],
                      task: str) -> dict[str, dict[str, list[Curve]]]:
    """Curves of ``task``'s running and succeeded jobs, grouped by :func:`setting_label` (label
    -> metric -> one curve per job, i.e. per seed), in label order. ``histories`` maps a job id
    to its logged metric rows."""
    settings: dict[str, dict[str, list[Curve]]] = {}
    for job in jobs:
        if job.task != task or job.status not in SHOWN_STATES:
            continue
        for metric, curve in job_curves(job, histories.get(job.id, [])).items():
            settings.setdefault(setting_label(job), {}).setdefault(metric, []).append(curve)
    return dict(sorted(settings.items()))


def paper_lines(task: type[nc.ImageTask]) -> dict[str, float]:
    """Setting label -> the paper's test accuracy for it on ``task`` (Table 1; empty where the
    paper reports none): the labels :func:`setting_label` gives a paper-setting job."""
    return {nc.MODELS[family].info.label: value
            for family, value in task.paper_test_accuracy.items()}


def training_curves_figure(settings: dict[str, dict[str, list[Curve]]],
                           paper: dict[str, float], title: str) -> go.Figure:
    """Three panels against epochs: test accuracy, forward and backward NFE per training step;
    per setting (label -> metric -> its seeds' curves) the mean over seeds with a band from the
    lowest to the highest seed; a dotted line at the paper's accuracy for the settings in
    ``paper`` (label -> accuracy)."""
    fig = make_subplots(rows=1, cols=3, subplot_titles=PANEL_TITLES, horizontal_spacing=0.07)
    for index, (label, metrics) in enumerate(settings.items()):
        color = CURVE_COLORS[index % len(CURVE_COLORS)]
        first = True
        for col, metric in enumerate(CURVE_METRICS, start=1):
            if metrics.get(metric):
                add_seed_band(fig, metrics[metric], label, color, 1, col, showlegend=first)
                first = False
        if label in paper:
            fig.add_hline(y=paper[label], line=dict(color=color, dash="dot"), row=1, col=1,
                          annotation_text=f"paper {100 * paper[label]:.1f} %",
                          annotation_position="bottom right")
    fig.update_xaxes(title_text="epochs")
    fig.update_yaxes(title_text="accuracy", tickformat=".0%", row=1, col=1)
    fig.update_yaxes(title_text="evaluations", row=1, col=2)
    fig.update_yaxes(title_text="evaluations", row=1, col=3)
    _layout(fig, title, height=380)
    return fig.update_layout(margin_t=70, legend=dict(orientation="h", y=-0.25))
