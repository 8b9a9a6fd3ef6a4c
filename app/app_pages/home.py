"""Home: what N-CODE Studio is and what each page does."""

from __future__ import annotations

import streamlit as st

import ncode_core as nc
from app import resources
from app.components import settings as S


def listing(labels: list[str]) -> str:
    """``a, b or c``."""
    return ", ".join(labels[:-1]) + " or " + labels[-1] if len(labels) > 1 else "".join(labels)


st.title("N-CODE Studio")
st.markdown(
    "A reference implementation of **Go with the flow: Adaptive Control for Neural ODEs** "
    "(Chalvidal, Ricci, VanRullen, Serre, ICLR 2021). A neural ODE whose parameters theta are "
    "themselves dynamic: *open-loop* control sets theta(0) = gamma(x(0)) for each sample, "
    "*closed-loop* control evolves theta with dtheta/dt = g(theta, x, t)."
)
st.subheader("Pages")
image_tasks = [name for name, cls in nc.TASKS.items() if issubclass(cls, nc.ImageTask)]
image_entries = [e for e in resources.manifest() if e["task"] in image_tasks]
tour_steps = sum(len(cls.ui.lab.tour) for cls in nc.lab_tasks().values())
lab_models = [m for m in nc.MODELS if any(m in cls.families for cls in nc.lab_tasks().values())]
rows = [
    (":material/science: **Toy lab**", f"train {listing([S.model_label(m) for m in lab_models])} "
     f"on {listing([S.task_label(t) for t in nc.lab_tasks()])}, live, with play / pause / step / "
     "reset; each task's own pictures (decision map, trajectories, each sample's own vector "
     "field with streamlines, theta(t), model vs target trajectories)"),
    (":material/compare: **Compare**", "a baseline (a NODE by default) and an N-CODE trained "
     "side by side on the same data and seed: a NODE cannot learn x -> -x"),
    (":material/call_split: **Bifurcation explorer**", "slide x(0) along a line across the class "
     "boundary: the equilibria of each sample's field, classified by stability, and a "
     "bifurcation diagram with its events located; x(T) and theta(0) against the position"),
    (":material/school: **Teaching tour**", f"{tour_steps} guided steps, each a short text and a "
     "one-click preset"),
    (":material/memory: **Memorization**", "few-shot pattern memorization (Fig. 6) with the "
     "pretrained plastic N-CODE: one held-out episode, the stored patterns and the probe, x(t) "
     "flowing to the stored pattern, theta(t) and the Hebbian outer products each presentation "
     "writes; edit the probe (which pattern, which bits are zeroed) and watch recall"),
    (":material/image: **Images**", f"a pretrained classifier on "
     f"{listing(sorted({S.task_label(e['task']) for e in image_entries}))}: one test image's "
     "prediction, class scores along t, feature maps x(t) and, for N-CODE, its own kernels "
     "beside another image's with their difference; Table 1 with the paper's numbers beside "
     "finished jobs" if image_entries else "Table 1 with the paper's numbers beside finished "
     "jobs (build the pretrained image classifiers to inspect one)"),
    (":material/blur_on: **Latent flows**", "AutoN-CODE (Sec. 4.4-4.5) with the AE and VAE "
     "beside it, pretrained: a test image's latent orbit x(t) among 200 others (PCA), decoded "
     "along the orbit, its sparse theta; images sampled from a Gaussian mixture fitted to each "
     "model's latents; linear and spherical interpolations; t-SNE clusters with their "
     "clustering accuracy; Table 2's layout with the paper's scores"),
    (":material/share: **Share and export**", "a link that restores the lab's settings, "
     "figures as PNG / HTML, the model as a checkpoint for `python -m ncode_core eval`, "
     "metrics as CSV"),
    (":material/work_history: **Jobs**", "longer training runs in background processes (local "
     "workers or a Ray cluster): launch, monitor, resume, compare, open the result in the lab"),
]
for title, text in rows:
    st.markdown(f"- {title}: {text}")
st.subheader("Pretrained models")
entries = resources.manifest()
if entries:
    st.caption("Small checkpoints built by `python pretrained/build.py`; the toy tasks' open in "
               "the lab, the others on their task's own page.")
    st.dataframe(
        [{"name": e["name"], "task": e["task"], "model": e["model"], "steps": e["steps"],
          **{k: round(v, 4) for k, v in e["metrics"].items() if isinstance(v, float)}}
         for e in entries], hide_index=True, key="home_pretrained")
else:
    st.info("No pretrained checkpoints yet: run `python pretrained/build.py`.")
st.caption("Every task and model here also runs headless: "
           "`python -m ncode_core train --task ... --model ...` (`python -m ncode_core list` "
           "names them).")
headless_only = [S.task_label(name) for name, cls in nc.TASKS.items()
                 if cls.ui.lab is None and cls.ui.page is None]
if headless_only:
    st.caption(f"In the library, the command line and Jobs but without a page yet: "
               f"{listing(headless_only)}.")
