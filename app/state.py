"""Session-state keys and their defaults (one place, so pages agree on names)."""

from __future__ import annotations

import copy
from typing import Any

import streamlit as st

import ncode_core as nc
from app.components import settings as lab_settings

SETTINGS = "lab_settings"  # dict: the lab's flat settings (see components.settings)
LAB = "lab_live"  # LiveTraining of the lab (or None before the first build)
COMPARE = "compare_live"  # dict name -> LiveTraining of the compare page
QUERY_PROBLEMS = "query_problems"  # list[str]: values of the opening link that were refused
URL_LOADED = "url_loaded"  # bool: the opening link's settings were read once
SAMPLES = "lab_samples"  # task -> [A, B]: samples A and B, one coordinate per input dimension
CHUNK = "chunk_s"  # longest training chunk (s); chunks adapt to the redraw time
VIEW_EVERY = "view_every_s"  # seconds between refreshes of the lab's views while training
PNG_CACHE = "png_cache"  # figure name -> PNG bytes
MORE_VIEWS = "lab_more_views"  # bool: the lab's expander of the views after the main ones is open

DEFAULTS: dict[str, Any] = {
    SETTINGS: lab_settings.DEFAULTS,
    LAB: None,
    COMPARE: {},
    QUERY_PROBLEMS: [],
    URL_LOADED: False,
    SAMPLES: {name: [list(sample) for sample in cls.ui.lab.samples] for name, cls in nc.lab_tasks().items()},
    CHUNK: 2.0,
    VIEW_EVERY: 5.0,
    PNG_CACHE: {},
}


def init() -> None:
    """Set every key that is missing (call at the top of the entry script)."""
    for key, value in DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = copy.deepcopy(value)


def load_url_settings_once() -> None:
    """On the first run of a session, take the lab settings from the link's query string."""
    if st.session_state[URL_LOADED]:
        return
    st.session_state[URL_LOADED] = True
    params = {key: st.query_params[key] for key in st.query_params}
    if params:
        settings, problems = lab_settings.from_query(params)
        st.session_state[SETTINGS] = settings
        st.session_state[QUERY_PROBLEMS] = problems
