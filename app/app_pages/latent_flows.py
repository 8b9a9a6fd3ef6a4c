"""Latent flows (AutoN-CODE, Sec. 4.4-4.5): a pretrained AutoN-CODE opened instantly with the
AE and VAE of the same architecture beside it: a test image's latent orbit among others', its
decoded orbit and sparse theta, GMM-sampled images, interpolations, clusters, and Table 2's
layout. Trains nothing; fits (GMM, t-SNE) are cached per checkpoint and settings."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

import ncode_core as nc
from app import resources
from app.components import latent_figures as F
from app.components.table2 import table2_section

ORBIT_TIMES = 8  # images in the decoded-orbit strip
FIT_IMAGES = 2000  # default training latents the GMM is fitted to: the page opens fast (a full-
# covariance fit costs about linearly in them); the user can fit up to the whole training split
SAMPLES = 64  # GMM-sampled images per model
CLUSTER_IMAGES = 1000  # test latents behind the t-SNE view

st.title("Latent flows")
st.caption("AutoN-CODE (Eqs. 8-9): the encoder maps an image to a sparse matrix theta, and the "
           "latent code is x(T) of dx/dt = theta x on [0, T] from x(0) ~ N(0, I); the decoder "
           "reads x(T). Beside it: an AE and a VAE with the same encoder and decoder.")

tasks = {name: cls for name, cls in nc.TASKS.items() if issubclass(cls, nc.AutoencodingTask)}
by_task: dict[str, dict[str, dict]] = {}
for entry in resources.manifest():
    if entry["task"] in tasks:
        by_task.setdefault(entry["task"], {})[entry["model"]] = entry
# Complete sets only (an AutoN-CODE to show); the paper's datasets first.
choices = sorted((t for t, models in by_task.items()
                  if any(nc.MODELS[m].controlled for m in models)),
                 key=lambda t: not tasks[t].paper_scores)
if not choices:
    st.info("No pretrained autoencoders: run `python pretrained/build.py --only "
            "digits_ae-autoncode --only digits_ae-ae --only digits_ae-vae`.")
    st.stop()


def open_models(task: str) -> dict[str, nc.Trainer]:
    """Trainers of ``task``'s pretrained entries, AutoN-CODE first (DataError if data lacks)."""
    order = sorted(by_task[task], key=lambda m: not nc.MODELS[m].controlled)
    return {model: resources.pretrained_trainer(by_task[task][model]["name"]) for model in order}


chosen_task = st.selectbox("Dataset", choices, format_func=lambda t: tasks[t].ui.label,
                           key="lf_task")
try:
    trainers = open_models(chosen_task)
except nc.DataError as error:
    fallback = next((t for t in choices if t != chosen_task and not tasks[t].paper_scores),
                    None)
    st.warning(f"{tasks[chosen_task].ui.label}: its data is not under the data root, so its "
               f"pretrained models cannot be shown. {error}"
               + (f" Showing {tasks[fallback].ui.label} instead." if fallback else ""))
    if fallback is None:
        st.stop()
    chosen_task = fallback
    trainers = open_models(chosen_task)
entries = by_task[chosen_task]
flow_model = next(iter(trainers))
autoncode, task = trainers[flow_model].model, trainers[flow_model].task
label = {m: nc.MODELS[m].info.label for m in trainers}
key = {m: (entries[m]["name"], entries[m]["sha256"]) for m in trainers}

columns = st.columns(len(trainers))
for column, (model, trainer) in zip(columns, trainers.items()):
    scores = entries[model]["metrics"]
    column.metric(f"{label[model]}: test MSE", f"{scores['test_mse']:.4f}")
    column.caption(f"{trainer.parameter_count:,} parameters, {entries[model]['steps']} steps; "
                   f"clustering accuracy {scores['test_clustering_accuracy']:.1%} on "
                   f"{scores['clustering_images']:.0f} test images; `{entries[model]['rebuild']}`")

st.subheader("A test image's latent orbit")
count = len(task.test_split)
left, middle = st.columns(2)
index = left.number_input("Test image", 0, count - 1, 0, key="lf_index")
others = middle.slider("Other images' orbits", 0, min(1000, count - 1), min(200, count - 1),
                       key="lf_others")
projection, labels = resources.latent_orbits(*key[flow_model], int(index), others, 50)
st.plotly_chart(F.trajectories_figure(
    projection.points, projection.explained, 0, labels,
    f"x(t) on [0, {autoncode.integration_time:g}] of test image {index} (label {labels[0]}) "
    f"among {others} others, projected on the latents' two principal components"),
    key="lf_orbits")
images, _, x0 = task.test_inputs(torch.tensor([int(index)]))
times, decoded = nc.orbit_reconstructions(autoncode, images, ORBIT_TIMES, x0)
strip = np.concatenate([decoded[:, 0].numpy(), images.numpy()])
st.plotly_chart(F.image_strip_figure(
    strip, [f"t = {t:.2f}" for t in times.tolist()] + ["input"],
    "Decoded orbit: the decoder applied to x(t) (the last decoded image is the reconstruction)",
    "time along the orbit"), key="lf_strip")

with torch.no_grad():
    theta = autoncode.field.dense(autoncode.theta(images))[0].numpy()
st.plotly_chart(F.theta_figure(theta, f"theta of test image {index}: {theta.shape[0]} x "
                               f"{theta.shape[0]}, two non-zeros per row"), key="lf_theta")
row_norms = np.linalg.norm(theta, axis=1)
nonzeros = (theta != 0).sum(axis=1)
st.caption(f"Non-zeros per row: {nonzeros.min()} to {nonzeros.max()}; row norms "
           f"{row_norms.min():.4f} to {row_norms.max():.4f} (component-wise normalisation). "
           + "Parameters: " + ", ".join(f"{label[m]} {t.parameter_count:,}"
                                        for m, t in trainers.items()) + ".")

st.subheader("Images sampled from a Gaussian mixture fitted to the latents")
left, middle, fitted, right = st.columns([1, 1, 1, 1])
components = left.number_input("Components", 1, nc.MAX_COMPONENTS, 10, key="lf_components")
covariance = middle.selectbox("Covariance type", nc.GMM_COVARIANCE_TYPES, key="lf_covariance")
fit_images = int(fitted.number_input(
    "Training latents fitted", 1, len(task.train_split), min(FIT_IMAGES, len(task.train_split)),
    step=1000, key="lf_fit_images", help="The first N training images' latents; more is slower."))
if right.button("Resample", key="lf_resample"):
    st.session_state["lf_seed"] = st.session_state.get("lf_seed", 0) + 1
seed = st.session_state.get("lf_seed", 0)
grids = st.columns(len(trainers))
for column, model in zip(grids, trainers):
    try:
        samples = resources.gmm_samples(*key[model], int(components), covariance, fit_images,
                                        seed, SAMPLES)
    except ValueError as error:  # e.g. more components than latents
        column.error(str(error))
        continue
    column.plotly_chart(F.image_grid_figure(samples, 8, f"{label[model]}: {SAMPLES} samples"),
                        key=f"lf_samples_{model}")
st.caption(f"Each model's GMM ({components} {covariance}-covariance components) is fitted to "
           f"the latents of the first {fit_images:,} training images; draw {seed}.")

st.subheader("Interpolation between two test images")
left, middle, right = st.columns(3)
first = left.number_input("From test image", 0, count - 1, 0, key="lf_from")
second = middle.number_input("To test image", 0, count - 1, min(1, count - 1), key="lf_to")
steps = right.slider("Steps", 3, 16, 10, key="lf_steps")
pair, _, pair_x0 = task.test_inputs(torch.tensor([int(first), int(second)]))
for model, trainer in trainers.items():
    with torch.no_grad():
        codes = trainer.model.eval().encode(pair, pair_x0)
    rows = [nc.decode_interpolation(trainer.model, codes[0], codes[1], steps, mode).numpy()
            for mode in nc.INTERPOLATION_MODES]
    st.plotly_chart(F.image_grid_figure(
        np.concatenate(rows), steps, f"{label[model]}: from image {first} to image {second}",
        row_labels=list(nc.INTERPOLATION_MODES), height=260), key=f"lf_interp_{model}")

st.subheader("Clusters of the latent codes")
images_clustered = min(CLUSTER_IMAGES, count)
# The t-SNE and two GMM fits take tens of seconds on a CPU: computed on request, then cached.
if st.toggle(f"Compute the t-SNE and the clusters of {images_clustered:,} test codes",
             key="lf_clusters_on"):
    clustering, cluster_labels = resources.latent_clusters(*key[flow_model], images_clustered)
    left, right = st.columns(2)
    left.metric("clustering accuracy (GMM on the latents)", f"{clustering.accuracy:.1%}")
    right.metric("clustering accuracy (GMM on the t-SNE)", f"{clustering.tsne_accuracy:.1%}")
    left.plotly_chart(F.embedding_figure(
        clustering.embedding, clustering.clusters,
        "t-SNE of the latents, coloured by GMM cluster", "cluster"), key="lf_tsne_clusters")
    right.plotly_chart(F.embedding_figure(clustering.embedding, cluster_labels,
                                          "t-SNE of the latents, coloured by true label", "label"),
                       key="lf_tsne_labels")
    st.caption(f"{label[flow_model]}'s codes x(T) of the first {images_clustered:,} test images; "
               "10-component full-covariance GMMs; accuracy after the best one-to-one matching of "
               "clusters to labels (Hungarian).")

table2_section(tasks)
