"""Table 2's layout for the autoencoding datasets: the paper's scores (``paper_scores`` of each
task) beside ours from finished preset jobs (``nc.preset_results``), and scores computed on a
finished job's checkpoint on demand (``nc.score_latents``), each with its extractor, N real and
N generated.

:func:`table2_rows` is pure (rows out); :func:`table2_section` draws it with the button that
computes the scores.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

import ncode_core as nc
from app import resources
from app.components.table1 import NOT_MEASURED

NOT_SCORED = "not scored yet (button above)"


def paper_value(task: type[nc.AutoencodingTask], score: str, entry: nc.PresetEntry) -> str:
    """The paper's ``score`` for ``entry``'s model as printed, "-" where it reports none or the
    entry changes the paper's setting (e.g. the AE with twice the latent size)."""
    values = task.paper_scores[score]
    if entry.model not in values or entry.model_cfg or entry.task_cfg:
        return "-"
    return f"{values[entry.model]:g}"


def scored_cells(scores: dict[str, Any] | None, finished: bool) -> dict[str, str]:
    """Our on-demand scores of one row (``LatentScores.to_dict()`` or None)."""
    if scores is None:
        empty = NOT_SCORED if finished else NOT_MEASURED
        return {"ours: domain Frechet distance": empty, "ours: clustering accuracy %": empty,
                "how ours were scored": ""}
    frechet = scores["frechet"]
    return {"ours: domain Frechet distance": f"{frechet['value']:.2f}",
            "ours: clustering accuracy %": f"{100 * scores['clustering_accuracy']:.2f}",
            "how ours were scored": (
                f"{frechet['extractor']}, weights sha256 {frechet['weights_sha256'][:12]}..., "
                f"resize {frechet['resize_rule']}; N real {frechet['n_real']}, N generated "
                f"{frechet['n_generated']} from a {scores['components']}-component GMM on "
                f"{scores['fit_images']} training latents; clustering: 10-component GMM on "
                f"{scores['clustering_images']} test latents")}


def table2_rows(task: type[nc.AutoencodingTask], preset: nc.Preset,
                results: list[dict[str, Any]],
                scores: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """One row per entry of ``preset`` (on ``task``): the paper's scores, then ours: test MSE
    (mean over finished seeds), budget, and the on-demand ``scores`` (entry key -> scores)."""
    rows = []
    for entry, result in zip(preset.entries, results):
        finished = result["finished"] > 0
        row = {"model": entry.label}
        row |= {f"paper: {score}": paper_value(task, score, entry) for score in task.paper_scores}
        row["ours: test MSE"] = (f"{result['test_mse']:.4f}" if result["test_mse"] is not None
                                 else NOT_MEASURED)
        row["ours: budget"] = (f"{result['steps']} steps, {result['wall_s']:.0f} s, "
                               f"{result['device']}; {result['finished']} of {result['jobs']} "
                               f"jobs finished" if finished else "")
        row |= scored_cells(scores.get(entry.key), finished)
        rows.append(row)
    return rows


def paper_rows(task: type[nc.AutoencodingTask]) -> list[dict[str, str]]:
    """The paper's scores of ``task`` alone, one row per model family it reports."""
    families = list(dict.fromkeys(f for values in task.paper_scores.values() for f in values))
    return [{"model": nc.MODELS[family].info.label,
             **{f"paper: {score}": (f"{values[family]:g}" if family in values else "-")
                for score, values in task.paper_scores.items()}} for family in families]


def _scores(results: list[dict[str, Any]], compute: bool) -> dict[str, dict[str, Any]]:
    """Scores of each row's newest finished checkpoint: from the cache, computed when
    ``compute`` (cached per checkpoint file hash, so a later rerun shows them instantly)."""
    found = {}
    for result in results:
        if result["checkpoint"] and compute:
            found[result["entry"]] = resources.checkpoint_latent_scores(
                result["checkpoint"], nc.file_sha256(result["checkpoint"]))
    return found


def table2_section(tasks: dict[str, type[nc.AutoencodingTask]]) -> None:
    """Table 2 for every autoencoding dataset the paper scores: its preset's finished jobs
    beside the paper's numbers, or the paper's numbers alone where no preset runs it."""
    st.subheader("Table 2 layout: the paper's scores beside ours")
    for name, task in tasks.items():
        if not task.paper_scores:
            continue
        presets = [preset for preset in nc.PRESETS.values() if preset.task == name]
        st.markdown(f"**{task.ui.label}**")
        if not presets:
            st.dataframe(paper_rows(task), hide_index=True, key=f"lf_table2_{name}")
            st.caption("No preset runs this dataset here: ours not measured.")
            continue
        preset = presets[0]
        try:
            with nc.JobStore() as store:
                results = nc.preset_results(store, preset.name)
        except nc.JobError as error:
            st.warning(f"The job store cannot be read ({error}): only the paper's numbers.")
            st.dataframe(paper_rows(task), hide_index=True, key=f"lf_table2_{name}")
            continue
        flag = f"lf_score_{preset.name}"
        if any(r["checkpoint"] for r in results) and st.button(
                "Score the finished jobs", key=f"lf_score_button_{name}",
                help="domain Frechet distance and clustering accuracy of each row's newest "
                     "finished checkpoint (minutes on a CPU; cached per checkpoint)"):
            st.session_state[flag] = True
        try:
            scores = _scores(results, st.session_state.get(flag, False))
        except (nc.DataError, nc.CheckpointError, ValueError) as error:
            st.warning(f"Not scored: {error}")
            scores = {}
        st.dataframe(table2_rows(task, preset, results, scores), hide_index=True,
                     key=f"lf_table2_{name}")
        st.caption(f"Ours: the `{preset.name}` preset's finished jobs ({preset.budget}); launch "
                   f"it with `python -m ncode_core submit --preset {preset.name}` or on the Jobs "
                   "page. The domain Frechet distance uses a small classifier trained on the "
                   "dataset: it is not FID and not comparable with the paper's FIDs.")
