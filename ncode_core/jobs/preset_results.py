"""A preset's result table: our finished jobs beside the paper's numbers, with their budget.

:func:`preset_results` reads the store (jobs tagged ``preset=<name>``, grouped by their
``entry=<key>`` tag) and returns plain rows, one per entry of the preset, for the CLI
(``jobs table --preset NAME``) and the dashboard's result tables.
"""

from __future__ import annotations

import statistics
from typing import Any

from ncode_core.jobs.presets import ENTRY_TAG, PRESET_TAG, get_preset
from ncode_core.jobs.store import Job, JobStore
from ncode_core.registry import TASKS


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _spread(values: list[float]) -> float | None:
    return statistics.stdev(values) if len(values) > 1 else None


def preset_results(store: JobStore, name: str) -> list[dict[str, Any]]:
    """One row per entry of preset ``name``: its finished jobs' final metrics beside the paper's.

    Each row holds ``entry``, ``label``, ``model``; ``finished`` (succeeded jobs) and
    ``jobs`` (all jobs of the entry in the store); for ``test_loss`` and each of the task's
    metrics the mean over finished seeds (``None`` when none finished) and ``<metric>_std``
    (sample standard deviation, ``None`` below two seeds); the budget: ``steps`` (largest step
    count reached), ``wall_s`` (mean seconds from the last start to the end: a resumed job's
    earlier attempts are not counted), ``device`` (the devices the runs used,
    comma-separated); ``checkpoint`` (the newest finished job's last checkpoint, for scores
    computed afterwards; ``None`` when none finished);
    and the paper's: ``paper`` (how the paper states it, with its source), ``paper_metric`` and
    ``paper_value`` (``None`` where the paper reports no number for the row).

    Raises:
        ConfigError: unknown preset name.
    """
    preset = get_preset(name)
    metrics = ("test_loss", *TASKS[preset.task].metric_names)
    jobs = [job for job in store.list_jobs() if f"{PRESET_TAG}={name}" in job.spec.get("tags", [])]
    rows = []
    for entry in preset.entries:
        mine = [job for job in jobs if f"{ENTRY_TAG}={entry.key}" in job.spec.get("tags", [])]
        done = [job for job in mine if job.status == "succeeded"]
        row: dict[str, Any] = {"entry": entry.key, "label": entry.label, "model": entry.model,
                               "finished": len(done), "jobs": len(mine)}
        for metric in metrics:
            values = [float(job.result[metric]) for job in done if metric in job.result]
            row[metric] = _mean(values)
            row[f"{metric}_std"] = _spread(values)
        row["steps"] = max((int(job.result.get("steps", job.step)) for job in done), default=None)
        row["wall_s"] = _mean([_wall_s(job) for job in done if job.started_at and job.finished_at])
        row["device"] = ", ".join(sorted({str(job.result.get("device", job.spec.get("device")))
                                          for job in done})) or None
        newest = max(done, key=lambda job: job.finished_at or 0.0, default=None)
        row["checkpoint"] = newest.checkpoint if newest else None
        paper = entry.paper
        row["paper"] = f"{paper.text} ({paper.source})" if paper else None
        row["paper_metric"] = paper.metric if paper else None
        row["paper_value"] = paper.value if paper else None
        rows.append(row)
    return rows


def _wall_s(job: Job) -> float:
    return float(job.finished_at) - float(job.started_at)


__all__ = ["preset_results"]
