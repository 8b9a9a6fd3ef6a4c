"""Jobs: launch full experiments in the background, monitor them live, compare runs.

The page only writes specs and reads the job store (``runs/ncode.db`` or ``$NCODE_RUNS_DIR``);
training runs in worker processes started through the jobs layer, so jobs survive reloads, page
switches and dashboard restarts.
"""

from __future__ import annotations

import time

import streamlit as st

import ncode_core as nc
from app.components import jobs_figures, jobs_form
from app.components.open_in_lab import open_in_lab

POLL_S = 2.0  # run_every of the monitor fragment
RAY_SYNC_S = 15.0  # how often Ray-side states are mapped onto the store
LOG_LINES = 40

st.title("Jobs")
st.caption("Background experiments: each job runs in its own process (local worker pool or a Ray "
           f"cluster) and is stored in `{nc.default_runs_dir()}/ncode.db`. Closing or reloading "
           "the dashboard does not stop them. CLI: `python -m ncode_core jobs list`.")


def job_actions(job: nc.Job) -> None:
    """Cancel / resume / open buttons for one job; errors are shown, not raised."""
    left, middle, right = st.columns(3)
    try:
        if not job.terminal and job.status != "lost":
            if left.button("Cancel", key=f"jobs_cancel_{job.id}", icon=":material/stop:"):
                nc.cancel_job(job.id)
                st.toast(f"cancel requested for job {job.id}")
        if job.status in nc.RESUMABLE_STATES:
            if middle.button("Resume", key=f"jobs_resume_{job.id}", icon=":material/replay:"):
                nc.resume_job(job.id)
                st.toast(f"job {job.id} queued again; it continues from its last checkpoint")
        if job.status == "succeeded" and job.checkpoint and job.task in nc.lab_tasks():
            if right.button("Open in Toy lab", key=f"jobs_open_{job.id}",
                            icon=":material/open_in_new:"):
                open_in_lab(nc.load_checkpoint(job.checkpoint), f"job {job.id}: {job.name}",
                            label=f"job {job.id}")
                st.switch_page("app_pages/lab.py")
    except (nc.JobError, nc.ConfigError, nc.CheckpointError) as error:
        st.error(str(error))


@st.fragment(run_every=POLL_S)
def monitor() -> None:
    """The monitor, or one line saying why the store cannot be read (corrupt, missing, ...)."""
    try:
        monitor_jobs()
    except nc.JobError as error:
        st.error(f"The job store cannot be read: {error}")


def monitor_jobs() -> None:
    """Job table, the selected job's curves, log tail and actions (polls the store)."""
    with nc.JobStore() as store:
        sync_ray = time.time() - st.session_state.get("jobs_ray_synced", 0.0) > RAY_SYNC_S
        if sync_ray:  # asking a Ray cluster costs a round trip: not on every poll
            st.session_state["jobs_ray_synced"] = time.time()
        nc.refresh_jobs(store, sync_ray=sync_ray)
        jobs = store.list_jobs(limit=500)
        if not jobs:
            st.info("No jobs yet: launch one in the Launch tab, or run "
                    "`python -m ncode_core submit --task annuli --model ncode_open`.")
            return
        st.dataframe(jobs_figures.jobs_table(jobs), hide_index=True, key="jobs_table",
                     column_config={"progress": st.column_config.ProgressColumn(
                         "progress", min_value=0.0, max_value=1.0, format="percent")})
        by_id = {job.id: job for job in jobs}
        if st.session_state.get("jobs_selected") not in by_id:
            st.session_state.pop("jobs_selected", None)
        selected = st.selectbox("Job", list(by_id), key="jobs_selected",
                                format_func=lambda i: f"#{i} {by_id[i].name}")
        job = by_id[selected]
        history = store.metrics(job.id)
    cols = st.columns(4)
    cols[0].metric("Status", job.status)
    cols[1].metric("Step", f"{job.step}/{job.steps}")
    cols[2].metric("ETA", jobs_figures.format_eta(nc.job_progress(job)["eta_s"])
                   if job.status == "running" else "-")
    cols[3].metric("Attempts", job.attempts)
    if job.error:
        (st.warning if job.status == "queued" else st.error)(f"Reason: {job.error}")
    job_actions(job)
    names = jobs_figures.metric_names(history)
    if names:
        metric = st.selectbox("Metric", names, key="jobs_metric")
        st.plotly_chart(jobs_figures.metric_figure({job.name: history}, metric),
                        key="jobs_curve", width="stretch")
    st.caption(f"Log: `{job.log_path}`")
    st.code(nc.read_log_tail(job, LOG_LINES) or "(no log yet)", language=None)


def compare() -> None:
    """Overlaid curves and a final-metrics table for several runs."""
    with nc.JobStore() as store:
        jobs = store.list_jobs(limit=500)
        by_id = {job.id: job for job in jobs}
        chosen = st.multiselect("Runs to compare", list(by_id), key="jobs_compare",
                                format_func=lambda i: f"#{i} {by_id[i].name}")
        histories = {f"#{i} {by_id[i].name}": store.metrics(i) for i in chosen}
    if not chosen:
        st.info("Pick two or more runs.")
        return
    names = sorted({n for rows in histories.values() for n in jobs_figures.metric_names(rows)})
    if names:
        default = names.index("train_loss") if "train_loss" in names else 0
        metric = st.selectbox("Metric", names, index=default, key="jobs_compare_metric")
        log_y = st.toggle("log scale", key="jobs_compare_log")
        st.plotly_chart(jobs_figures.metric_figure(histories, metric, log_y=log_y),
                        key="jobs_compare_curve", width="stretch")
    last = {i: rows[-1] for i, (label, rows) in zip(chosen, histories.items()) if rows}
    st.dataframe(jobs_figures.final_metrics_table([by_id[i] for i in chosen], last),
                 hide_index=True, key="jobs_compare_table")


def launch_preset() -> None:
    """One click: every job of a named paper experiment, and its results table so far."""
    name = jobs_form.preset_picker()
    if name is not None:
        try:
            jobs = nc.submit_preset(name)
            st.success(f"Preset {name}: jobs {', '.join(str(job.id) for job in jobs)} "
                       f"{jobs[0].status}. Watch them in the Monitor tab.")
        except (nc.ConfigError, nc.JobError) as error:
            st.error(f"Not launched: {error}")
    chosen = st.session_state[jobs_form.KEY + "preset"]
    try:
        with nc.JobStore() as store:
            rows = nc.preset_results(store, chosen)
    except nc.JobError as error:
        st.error(f"The job store cannot be read: {error}")
        return
    st.caption(f"Results of {chosen} so far: mean (and std) over finished seeds, beside the "
               "paper's number; budget: steps, wall seconds of the last attempt, device.")
    st.dataframe(rows, hide_index=True, key="jobs_preset_results")


monitor_tab, launch_tab, compare_tab = st.tabs(["Monitor", "Launch", "Compare"])
with launch_tab:
    with st.expander("Launch preset (a paper experiment)", expanded=True):
        launch_preset()
    launched = jobs_form.launch_form()
    if launched is not None:
        spec, options = launched
        try:
            job = nc.submit_job(spec, executor=options["executor"])
            st.success(f"Job {job.id} ({job.name}) {job.status}. Watch it in the Monitor tab.")
        except (nc.ConfigError, nc.JobError) as error:
            st.error(f"Not launched: {error}")
with monitor_tab:
    monitor()
with compare_tab:
    try:
        compare()
    except nc.JobError as error:
        st.error(f"The job store cannot be read: {error}")
