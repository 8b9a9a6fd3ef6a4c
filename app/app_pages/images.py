"""Images: a pretrained image classifier opened instantly; one test image's (or a drawn
digit's) prediction, class scores along t, feature maps x(t) and, for N-CODE, its own kernels
beside another image's; the paper's Table 1 beside our finished jobs, and their accuracy and NFE
curves. Trains nothing."""

from __future__ import annotations

import numpy as np
import streamlit as st

import ncode_core as nc
from app import resources
from app.components import image_figures as F
from app.components.digit_input import drawn_image
from app.components.image_curves import curves_by_setting, paper_lines, training_curves_figure
from app.components.table1 import table1_rows

TIMES_SHOWN = 5  # columns of the feature-map strip
KERNEL_TILES = 16  # at most this many output / input channels of a kernel drawn
SOURCES = ("test image", "drawn digit")

st.title("Images")
st.caption("N-CODE gives every image its own convolution kernels: theta(0) = gamma(x(0)) sets "
           "the conv block's weights per sample. Pick a test image and see them, the feature "
           "maps they produce along t and the class scores they lead to.")

image_tasks = {name: cls for name, cls in nc.TASKS.items() if issubclass(cls, nc.ImageTask)}
entries = {e["name"]: e for e in resources.manifest() if e["task"] in image_tasks}


def describe(name: str) -> str:
    """Menu text of a pretrained entry: model, task, parameters, test accuracy."""
    entry = entries[name]
    accuracy = entry["metrics"].get("test_accuracy")
    scored = f", test accuracy {accuracy:.3f}" if accuracy is not None else ""
    return (f"{nc.MODELS[entry['model']].info.label} on {image_tasks[entry['task']].ui.label} "
            f"({entry['params']:,} parameters{scored})")


def inspect(entry: dict, trainer: nc.Trainer) -> None:
    """Per-sample views of the pretrained classifier ``entry``, opened as ``trainer``."""
    model, task = trainer.model, trainer.task
    classes = task.test_split.classes
    info = nc.MODELS[entry["model"]].info
    cols = st.columns(4)
    cols[0].metric("parameters", f"{trainer.parameter_count:,}")
    cols[1].metric("test accuracy", f"{entry['metrics']['test_accuracy']:.3f}")
    cols[2].metric("training steps", entry["steps"])
    cols[3].metric("test images", len(task.test_split))
    st.caption(f"Rebuilt by `{entry['rebuild']}`; metrics measured on the whole test split when "
               "it was built.")

    last = len(task.test_split) - 1
    source = SOURCES[0]
    if type(task).drawn_digit_box:  # a digit dataset: the user may draw one
        source = st.radio("Input", SOURCES, horizontal=True, key="img_source")
    pick, other = st.columns(2)
    first_index = pick.slider("Test image", 0, last, 0, key="img_index",
                              disabled=source != SOURCES[0])
    second_index = other.slider("Compare with test image", 0, last, 1, key="img_other")
    times = nc.integration_times(model, TIMES_SHOWN)
    image, label = nc.held_out_image(task, first_index)
    name = f"test image {first_index}"
    if source != SOURCES[0]:
        image, label, name = drawn_image(type(task), task.test_split.max_value, image,
                                         f"img_canvas_{entry['task']}"), None, "drawn digit"
        if image is None:
            st.info("Nothing drawn yet: draw a digit on the canvas to see its prediction, "
                    "feature maps and kernels.")
            return
    second_image, second_label = nc.held_out_image(task, second_index)
    trace = nc.image_trace(model, image, times)
    second_trace = nc.image_trace(model, second_image, times)

    probabilities = F.softmax(trace.scores)[-1]
    predicted = int(np.argmax(probabilities))
    left, right = st.columns([1, 2])
    truth = f": label {classes[label]}" if label is not None else " (no label)"
    left.plotly_chart(F.image_figure(image, f"{name}{truth}"), key="img_image")
    judged = {} if label is None else dict(
        delta="correct" if predicted == label else "wrong",
        delta_color="normal" if predicted == label else "inverse")
    left.metric("prediction", classes[predicted], **judged)
    left.caption(f"probability {probabilities[predicted]:.3f} at t = {times[-1]:g}")
    right.plotly_chart(F.scores_figure(trace.times, trace.scores, classes, label),
                       key="img_scores")

    channel_count = trace.x.shape[1]
    shown = channel_count
    if channel_count > 1:
        shown = st.slider("Channels of x(t) shown", 1, channel_count, min(4, channel_count),
                          key="img_channels",
                          help=f"the first {task.input_shape[0]} are the image's own channels, "
                               "the others the augmented (zero at t = 0) ones, where the model "
                               "has them")
    st.plotly_chart(F.feature_strip_figure(trace.times, trace.x, list(range(shown))),
                    key="img_strip")

    st.subheader("Controlled kernels theta")
    if not trace.kernels:
        st.info(f"{info.label} has shared kernels: every image meets the same convolutions, "
                "there is no per-sample theta to draw. Pick an N-CODE model to see them.")
        return
    kernel = st.radio("Kernel", list(trace.kernels), horizontal=True, key="img_kernel")
    time_index = 0
    if info.theta_evolves:
        time_index = st.select_slider("Kernels at t", list(range(len(times))), 0,
                                      format_func=lambda i: f"{times[i]:.2f}", key="img_kernel_t")
    weights = trace.kernels[kernel][time_index]
    st.plotly_chart(F.kernels_figure(weights, f"{kernel} of {name}: "
                                     f"{weights.shape[0]} x {weights.shape[1]} kernels of "
                                     f"{weights.shape[2]}x{weights.shape[3]}",
                                     KERNEL_TILES, KERNEL_TILES), key="img_kernels")
    difference = nc.kernel_difference(trace, second_trace, time_index)[kernel]
    relative = float(np.linalg.norm(difference) / max(np.linalg.norm(weights), 1e-12))
    st.metric("kernel change between the two images", f"{100 * relative:.1f} %",
              help="|theta_B - theta_A| / |theta_A| over this kernel's weights")
    st.plotly_chart(F.kernel_comparison_figure(
        weights, second_trace.kernels[kernel][time_index],
        (name if label is None else f"image {first_index} ({classes[label]})",
         f"image {second_index} ({classes[second_label]})"), KERNEL_TILES, KERNEL_TILES),
        key="img_kernel_pair")
    if max(weights.shape[:2]) > KERNEL_TILES:
        st.caption(f"Drawn: the first {KERNEL_TILES} output and input channels.")


if entries:
    chosen = st.selectbox("Pretrained classifier", list(entries), format_func=describe,
                          key="img_model")
    try:
        opened = resources.pretrained_trainer(chosen)
    except nc.DataError as error:  # e.g. an MNIST model while MNIST is not under the data root
        st.warning(f"{describe(chosen)}: its test images are not under the data root, so it "
                   f"cannot be opened. {error}")
    else:
        inspect(entries[chosen], opened)
else:
    st.info("No pretrained image classifier: run `python pretrained/build.py` (its image "
            "recipes train on the bundled 8x8 digits in a few minutes).")

st.subheader("Table 1: test accuracy, the paper beside ours")
paper_tasks = {name: cls for name, cls in image_tasks.items() if cls.paper_test_accuracy}
try:
    jobs, histories = resources.image_jobs(str(nc.default_runs_dir().resolve()))
except nc.JobError as error:
    st.warning(f"The job store cannot be read ({error}): only the paper's numbers are shown.")
    jobs, histories = [], {}
st.dataframe(table1_rows(paper_tasks, jobs), hide_index=True, key="img_table1")
st.caption("Ours: the longest finished job per model and dataset in the job store (launch "
           "them from the Jobs page, e.g. `python -m ncode_core submit --preset "
           "table1-mnist-cpu`), N-CODE with all three kernels controlled as in the paper; \"not "
           "measured here\" where none has finished. Budget: optimiser steps, the epochs they "
           "make at the job's batch size (minibatches drawn at random), the solver, wall time of "
           "the last run, device. The pretrained models above are short runs (their steps are "
           "shown with them), not these jobs.")

st.subheader("Training curves of the image jobs (as Fig. A.2)")
trained = sorted({job.task for job in jobs if job.id in histories})
if trained:
    curve_task = st.selectbox("Dataset", trained, key="img_curve_task",
                              format_func=lambda name: image_tasks[name].ui.label)
    settings = curves_by_setting(jobs, histories, curve_task)
    st.plotly_chart(training_curves_figure(
        settings, paper_lines(image_tasks[curve_task]),
        f"{image_tasks[curve_task].ui.label}: running and finished jobs (mean over seeds, band: "
        f"lowest to highest seed)"), key="img_curves")
    st.caption("Test accuracy at each evaluation; NFE: solver evaluations per training step, "
               "averaged over the steps between two evaluations (forward: the loss, backward: "
               "its gradient). Dotted: the paper's Table 1 accuracy of that model, where it "
               "reports one.")
else:
    st.info("No running or finished image-classification job yet: launch one, e.g. "
            "`python -m ncode_core submit --preset table1-digits` (CPU-sized) or "
            "`--preset table1-mnist`; its curves appear here.")
