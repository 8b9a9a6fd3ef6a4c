"""Table 1 of the paper beside ours: rows from the image tasks' ``paper_test_accuracy``, our
column from finished jobs in the job store. Pure (no st.* calls): tasks and jobs in, rows out."""

from __future__ import annotations

from typing import Any, Iterable

import ncode_core as nc

NOT_MEASURED = "not measured here"


def paper_models(tasks: dict[str, type[nc.ImageTask]]) -> list[str]:
    """The model families the paper reports on any of ``tasks``, in first-reported order."""
    families: list[str] = []
    for cls in tasks.values():
        families += [family for family in cls.paper_test_accuracy if family not in families]
    return families


def is_paper_setting(job: nc.Job) -> bool:
    """True when ``job`` runs the paper's form of its model: for N-CODE, every kernel
    controlled (the image config's default, "NCODE"); the baselines have no such option."""
    if not nc.MODELS[job.model].controlled:
        return True
    chosen = nc.ImageConfig.model_validate(job.spec.get("task_cfg", {})).controlled_kernels
    return chosen == nc.ImageConfig().controlled_kernels


def best_finished_job(jobs: Iterable[nc.Job], task: str, model: str) -> nc.Job | None:
    """The succeeded job of ``task`` x ``model`` (paper setting) with a test accuracy that
    trained the most steps (the latest one among equals); None when there is none."""
    finished = [job for job in jobs
                if job.status == "succeeded" and job.task == task and job.model == model
                and isinstance(job.result.get("test_accuracy"), (int, float))
                and is_paper_setting(job)]
    if not finished:
        return None
    return max(finished, key=lambda job: (job.result.get("steps", job.step),
                                          job.finished_at or 0.0))


def budget(job: nc.Job) -> str:
    """``"<steps> steps = <epochs> epochs, <solver>, <wall> s, <device>"`` of a finished job
    (epochs: :meth:`ImageTask.epochs` of its batch size; solver: :meth:`SolverConfig.summary`;
    wall: its last run)."""
    wall = ((job.finished_at - job.started_at) if job.finished_at and job.started_at
            else None)
    device = job.result.get("device") or job.gpu or job.spec.get("device", "auto")
    wall_text = f"{wall:.0f} s" if wall is not None else "wall time unknown"
    steps = int(job.result.get("steps", job.step))
    run = stored_run_config(job)
    return (f"{steps} steps = {job_epochs(job, [steps], run)[0]:.2g} epochs, "
            f"{run.solver.summary()}, {wall_text}, {device}")


def stored_run_config(job: nc.Job) -> nc.RunConfig:
    """The run config of ``job``'s stored spec, read without this machine's budget checks (the
    job may have run elsewhere)."""
    return nc.JobSpec.model_validate(job.spec).run_config(check_resources=False)


def job_epochs(job: nc.Job, steps: list[int], run: nc.RunConfig | None = None) -> list[float]:
    """Epochs that ``steps`` optimiser steps of image ``job`` make (:meth:`ImageTask.epochs` of
    its batch size and task config; ``run``: its stored run config when the caller has it)."""
    run = stored_run_config(job) if run is None else run
    task = nc.TASKS[job.task]
    return [task.epochs(step, run.training.batch_size, run.task_cfg) for step in steps]


def table1_rows(tasks: dict[str, type[nc.ImageTask]], jobs: list[nc.Job]) -> list[dict[str, Any]]:
    """One row per model family the paper reports: its label and, for each task,
    ``"<label> paper (%)"``, ``"<label> ours (%)"`` (or "not measured here"),
    ``"<label> budget"`` (steps, epochs, wall time and device of our job) and
    ``"<label> params"`` (its parameter count)."""
    rows = []
    for family in paper_models(tasks):
        row: dict[str, Any] = {"model": nc.MODELS[family].info.label}
        for name, cls in tasks.items():
            label = cls.ui.label
            paper = cls.paper_test_accuracy.get(family)
            row[f"{label} paper (%)"] = f"{100 * paper:.1f}" if paper is not None else "-"
            job = best_finished_job(jobs, name, family)
            row[f"{label} ours (%)"] = (f"{100 * job.result['test_accuracy']:.1f}"
                                        if job else NOT_MEASURED)
            row[f"{label} budget"] = budget(job) if job else ""
            params = job.result.get("params") if job else None
            row[f"{label} params"] = f"{params:,}" if isinstance(params, int) else ""
        rows.append(row)
    return rows
