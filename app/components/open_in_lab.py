"""Open a loaded checkpoint in the Toy lab: the one way every page does it (pretrained models,
finished jobs, tour presets)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app import state
from app.components import forms
from app.components import settings as S
from app.components.controller import LiveTraining


def open_in_lab(payload: dict[str, Any], source: str, label: str = "") -> LiveTraining:
    """Make the checkpoint ``payload`` (from ``ncode_core.load_checkpoint``) the lab's model.

    The lab's settings become the checkpoint's, so the lab keeps the model on its next run and
    training continues from these weights; ``source`` names where it came from (shown in the
    status line). Raises what building or loading raises (``ConfigError``, ``CheckpointError``).
    """
    config = payload["config"].to_dict()
    live = LiveTraining(config, label=label)
    live.load(payload, source)
    forms.replace_settings(S.from_run_config(config))
    st.session_state[state.LAB] = live
    return live
