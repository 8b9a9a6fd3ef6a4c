"""Share and export: a link that restores the lab, figures as PNG / HTML, checkpoint, metrics."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import streamlit as st

import ncode_core as nc
from app import resources, state
from app.components import export, figures
from app.components import settings as S
from app.components.controller import LiveTraining
from app.components.views import ViewOptions, lab_views, main_metric

st.title("Share and export")
settings = S.normalise(st.session_state[state.SETTINGS])
query = urlencode(S.to_query(settings))
url = getattr(st.context, "url", None) or "http://127.0.0.1:8501/share"
parts = urlsplit(url)
link = f"{parts.scheme}://{parts.netloc}/lab?{query}"
st.subheader("Link to these lab settings")
st.caption("Opening this link starts the Toy lab with exactly these settings (not the weights: "
           "download the checkpoint for that).")
st.code(link, language=None, wrap_lines=True)

live: LiveTraining | None = st.session_state.get(state.LAB)
if live is None:
    st.info("Open the Toy lab and train a model to export its figures, checkpoint and metrics.")
    st.stop()
name = f"{live.config.task}-{live.config.model}-step{live.steps}"

st.subheader("Figures")
samples = st.session_state[state.SAMPLES][live.task.name]
try:
    views = lab_views(live, ViewOptions(samples=tuple(tuple(s) for s in samples)))
except (nc.SolverError, RuntimeError) as error:
    views = {}
    st.warning(f"The views cannot be drawn for this model: {error}")

views["curves"] = figures.curves_figure(live.history, main_metric(live.task))
chosen = st.selectbox("Figure", list(views), key="share_figure")
figure = views[chosen]
st.plotly_chart(figure, key="share_preview")
columns = st.columns(2)
columns[0].download_button("Download HTML", data=lambda: export.figure_html(figure),
                           file_name=f"{name}-{chosen}.html", mime="text/html",
                           key="share_html", icon=":material/html:")
available, reason = resources.png_export_available()
if available:
    columns[1].download_button("Download PNG", data=lambda: export.figure_png(figure),
                               file_name=f"{name}-{chosen}.png", mime="image/png",
                               key="share_png", icon=":material/image:",
                               help="rendered by kaleido with the system Chromium (a few s)")
else:
    columns[1].info(f"PNG export is off here ({reason}); use the camera button of any chart.")

st.subheader("Model and metrics")
st.caption("The checkpoint is the library's format: "
           f"`python -m ncode_core eval --checkpoint {name}.pt` re-evaluates it.")
columns = st.columns(2)
columns[0].download_button("Download checkpoint (.pt)", data=live.checkpoint_bytes,
                           file_name=f"{name}.pt", mime="application/octet-stream",
                           key="share_checkpoint", icon=":material/download:")
columns[1].download_button("Download metrics (CSV)", data=live.metrics_csv,
                           file_name=f"{name}-metrics.csv", mime="text/csv",
                           key="share_csv", icon=":material/table:",
                           disabled=not live.history)
