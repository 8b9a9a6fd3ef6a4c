"""N-CODE Studio dashboard. From the repository root:

    python -m streamlit run app/streamlit_app.py --server.address 127.0.0.1 \
        --server.fileWatcherType none

(``make run`` does exactly that.) Pages live in ``app/app_pages/`` and are wired here with
``st.navigation`` (not a ``pages/`` folder, which Streamlit would auto-load as legacy pages).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run` puts app/ on sys.path, not the repository root
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

import ncode_core as nc  # noqa: E402
from app import resources, state  # noqa: E402

PAGES_DIR = Path(__file__).resolve().parent / "app_pages"

st.set_page_config(page_title="N-CODE Studio", page_icon=":material/waves:", layout="wide")
resources.configure_torch()
state.init()

pages = [
    st.Page(PAGES_DIR / "home.py", title="Home", icon=":material/home:", url_path="home",
            default=True),
    st.Page(PAGES_DIR / "lab.py", title="Toy lab", icon=":material/science:", url_path="lab"),
    st.Page(PAGES_DIR / "compare.py", title="Compare NODE vs N-CODE",
            icon=":material/compare:", url_path="compare"),
    st.Page(PAGES_DIR / "bifurcation.py", title="Bifurcation explorer",
            icon=":material/call_split:", url_path="bifurcation"),
    st.Page(PAGES_DIR / "tour.py", title="Teaching tour", icon=":material/school:",
            url_path="tour"),
    st.Page(PAGES_DIR / "memorization.py", title="Memorization", icon=":material/memory:",
            url_path=nc.MemorizationTask.ui.page),
    st.Page(PAGES_DIR / "images.py", title="Images", icon=":material/image:",
            url_path=nc.IMAGES_PAGE),
    st.Page(PAGES_DIR / "latent_flows.py", title="Latent flows", icon=":material/blur_on:",
            url_path=nc.LATENT_FLOWS_PAGE),
    st.Page(PAGES_DIR / "share.py", title="Share and export", icon=":material/share:",
            url_path="share"),
    st.Page(PAGES_DIR / "jobs.py", title="Jobs", icon=":material/work_history:", url_path="jobs"),
]
st.navigation(pages).run()
