"""Memorization (Fig. 6): one held-out episode through the pretrained plastic N-CODE. The user
edits the probe and watches recall; the page trains nothing (one forward pass per change)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

import ncode_core as nc
from app import resources
from app.components import memorization_figures as mf
from app.components import settings as S

POINTS = 5  # states kept per interval: the onset, three inside, the end


def finished_curves(metric: str) -> dict[str, list[mf.Curve]]:
    """Held-out ``metric`` against episodes (steps x batch size) of every succeeded
    memorization job in the store, grouped by model and episode settings (label -> seeds),
    in label order."""
    settings: dict[str, list[mf.Curve]] = {}
    with nc.JobStore() as store:
        for job in store.list_jobs(status="succeeded"):
            if nc.TASKS.get(job.task) is not nc.MemorizationTask:
                continue
            run = nc.validate_job_spec(job.spec).run_config(check_resources=False)
            points = [(row["step"] * run.training.batch_size, row[metric])
                      for row in store.metrics(job.id) if metric in row]
            if points:
                task_cfg = run.task_cfg
                label = (f"{S.model_label(job.model)}, n = {task_cfg.n_bits}, "
                         f"m = {task_cfg.n_patterns}, degradation {task_cfg.degradation:g}")
                settings.setdefault(label, []).append(tuple(np.array(v) for v in zip(*points)))
    return dict(sorted(settings.items()))


PRESETS = [preset for preset in nc.PRESETS.values()
           if nc.TASKS.get(preset.task) is nc.MemorizationTask]  # this experiment's presets


def paper_numbers(metric: str) -> list[tuple[str, float, str, str]]:
    """``(label, value, text, source)`` of every number the presets of this task quote from
    the paper on ``metric`` (the presets are where the paper's numbers are written down)."""
    return [(entry.label, entry.paper.value, entry.paper.text, entry.paper.source)
            for preset in PRESETS for entry in preset.entries
            if entry.paper and entry.paper.metric == metric]


def rate(errors: float, count: int) -> str:
    """``3/50 (6.0 %)``, or a dash when no bit is counted."""
    return "-" if count == 0 or math.isnan(errors) else f"{round(errors * count)}/{count} " \
        f"({errors:.1%})"


st.title("Memorization")
st.markdown(
    "Few-shot pattern memorization (section 4.3, Fig. 6): an episode shows m random patterns of "
    "n bits in {-1, 1}, each for a fixed time, then a probe, one of them with some bits zeroed. "
    "The closed-loop N-CODE's synapses theta are dynamic (Eq. 7: dx/dt = tanh(theta x), "
    "dtheta/dt = mu * x x^T): each presentation writes a Hebbian outer product into theta, and "
    "while the probe is shown x flows toward the stored pattern.")
entries = [e for e in resources.manifest() if nc.TASKS.get(e["task"]) is nc.MemorizationTask]
if not entries:
    st.info("No pretrained memorization model yet: run `make pretrained`.")
    st.stop()
entry = entries[0]
trainer = resources.pretrained_trainer(entry["name"])
config, model, held_out = trainer.task.config, trainer.model, trainer.task.test
n, m = config.n_bits, config.n_patterns
held = entry["metrics"]
st.caption(f"Pretrained {S.model_label(entry['model'])}, n = {n}, m = {m}, "
           f"{entry['steps']} training steps ({entry['train_wall_s']:.0f} s on a CPU), "
           f"{entry['params']} parameters. On its {config.n_test_episodes} held-out episodes "
           f"(degradation {config.degradation:.0%}): bit error {held['bit_error']:.1%}, "
           f"{held['degraded_bit_error']:.1%} on the zeroed bits (chance 50 %).")

with st.sidebar:
    index = st.number_input("Held-out episode", 0, config.n_test_episodes - 1, 0, key="mem_episode")
    probed = st.selectbox("Probed pattern", range(m), format_func=lambda i: f"pattern {i}",
                          key="mem_pattern")
    fraction = st.slider("Fraction of bits zeroed", 0.0, 1.0, config.degradation, 0.05,
                         key="mem_fraction")
    seed = st.number_input("Seed of the zeroed bits", 0, 2**31 - 1, 0, key="mem_seed")

patterns = held_out.patterns[index].double().numpy()
target = patterns[probed]
probe = mf.degrade(target, mf.zeroed_mask(n, fraction, seed))
rows, cols = mf.image_shape(n)
if rows > 1:
    with st.expander(f"Edit the probe ({rows}x{cols}: -1, 0 = zeroed, 1)"):
        grid = pd.DataFrame(mf.as_images(probe[None])[0].astype(int),
                            columns=[str(c) for c in range(cols)])
        edited = st.data_editor(grid, key=f"mem_grid_{index}_{probed}_{fraction}_{seed}",
                                column_config={str(c): st.column_config.NumberColumn(
                                    min_value=-1, max_value=1, step=1) for c in range(cols)})
        probe = mf.grid_to_probe(edited.to_numpy())

episode = held_out.with_probe(index, probed, probe)
trace = nc.episode_trace(model, episode, POINTS)
all_bits, zeroed_bits = nc.bit_errors(trace.guess, episode.target, episode.probe)
zeroed = int((probe == 0).sum())

left, middle, right = st.columns(3)
left.metric("Bit errors (all bits)", rate(all_bits, n))
middle.metric("Bit errors (zeroed bits)", rate(zeroed_bits, zeroed))
right.metric("Zeroed bits", f"{zeroed}/{n}")

guess = trace.guess[0].double().numpy()
times = trace.times.numpy()
st.plotly_chart(mf.patterns_figure(patterns, probe, probed), key="mem_patterns")
order = held_out.order[index].tolist()
if trace.theta is not None:
    st.plotly_chart(mf.episode_animation_figure(
        times, [f"pattern {p}" for p in order] + ["probe"], episode.stimuli[0].numpy(),
        trace.x[:, :, 0].numpy(), trace.theta[:, :, 0].numpy()), key="mem_episode_movie")
    st.caption("Press Play: each pattern in turn sets x, theta takes in its Hebbian outer "
               "product, and during the probe x flows from the degraded pattern to the stored "
               "one. theta keeps one colour range over the episode.")
st.plotly_chart(mf.recall_figure(times[-1], trace.x[-1, :, 0].double().numpy(), target),
                key="mem_recall")
st.plotly_chart(mf.errors_figure(guess, target, probe), key="mem_errors")

if trace.theta is not None:
    theta = trace.theta[:, :, 0].double().numpy()  # (K, T, n, n)
    cycle_ends = [m * c - 1 for c in range(1, config.cycles + 1)]
    snapshots = [theta[0, 0]] + [theta[k, -1] for k in cycle_ends] + [theta[-1, -1]]
    names = ["theta(0)"] + [f"after cycle {c + 1}" for c in range(config.cycles)] + \
        [f"end (t = {times[-1, -1]:.1f} s)"]
    st.plotly_chart(mf.theta_figure(np.stack(snapshots), names, "theta(t), the synapses"),
                    key="mem_theta")
    increments = theta[:m, -1] - theta[:m, 0]
    st.plotly_chart(mf.theta_figure(
        increments, [f"pattern {order[k]} shown" for k in range(m)],
        "What each presentation of the first cycle writes into theta (its change over it)"),
        key="mem_hebbian")
    st.caption("Each change is mu times the integral of x x^T over the presentation, "
               "elementwise (Eq. 7's Hebbian term). x starts at the pattern p shown, so the "
               "change carries p's outer product p p^T weighted by the learned mu: what the "
               "probe is later recalled from. Colours saturate at the 99th percentile of "
               "|theta| (the diagonal, where x_i^2 = 1 always, is largest).")

st.subheader("Finished runs: error against training episodes")
with_paper = [name for name in nc.MemorizationTask.metric_names if paper_numbers(name)]
metric = st.radio("Metric", nc.MemorizationTask.metric_names, horizontal=True, key="mem_metric",
                  index=nc.MemorizationTask.metric_names.index(
                      with_paper[0] if with_paper else nc.MemorizationTask.ui.primary_metric))
references = mf.paper_references(paper_numbers(metric))
try:
    curves = finished_curves(metric)
except (nc.JobError, nc.ConfigError) as error:
    curves = {}
    st.warning(f"The job store cannot be read: {error}")
if references:
    st.caption("; ".join(text for _, text in references) + ".")
if curves:
    st.plotly_chart(mf.error_curves_figure(curves, metric, references), key="mem_curves")
else:
    command = (f"python -m ncode_core submit --task {nc.MemorizationTask.name} "
               f"--model {entry['model']} --seed 1")
    st.info(f"No finished memorization job yet: launch some on the Jobs page or with "
            f"`{command}` (one per model and seed)"
            + "".join(f", or the whole comparison with `python -m ncode_core submit --preset "
                      f"{preset.name}`" for preset in PRESETS)
            + "; their held-out curves appear here, one band over the seeds of each model and "
              "setting, beside the paper's numbers.")
