"""Serve the dashboard with its first render already paid for. From the repository root:

    python -m app.serve [streamlit options, e.g. --server.port 8600]

(``make run`` does exactly that.) It runs ``streamlit run app/streamlit_app.py`` in this process
after :func:`warm`. A plain ``streamlit run`` imports torch, plotly and ``ncode_core`` in the
first browser session and builds its first model there, so the first visitor waits seconds for
work that never depends on them (``benchmarks/app_throughput.py --render-only``: the cold
rows). Options and ``.streamlit/config.toml`` are read as by ``streamlit run``.

After warming it freezes the garbage collector's view of what is loaded by then (``gc.freeze``):
Streamlit runs a full collection after every script run, fragments included (its
``runner.postScriptGC``), and with torch, plotly and scipy loaded that walks about 400,000
objects, ~150 ms holding the GIL, during which no message reaches a browser.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTRY = ROOT / "app" / "streamlit_app.py"


def warm() -> None:
    """Import what a session's first lab render needs and draw the default lab once.

    Building a model and its optimiser imports ``torch._dynamo`` (torch.optim.Adam's
    constructor and meta-device kernels need it: 0.8 s of CPU quiet, after torch itself), the views import the
    streamlines' and plotly's figure code, and plotly's JSON encoder is what
    ``st.plotly_chart`` calls. The sessions later find all of it in ``sys.modules``.
    """
    import plotly.io as pio

    from app.components import settings
    from app.components.controller import LiveTraining
    from app.components.views import ViewOptions, build_view, view_names

    live = LiveTraining(settings.to_run_config(settings.DEFAULTS))
    for name in view_names(live):
        pio.to_json(build_view(live, name, ViewOptions()), validate=False)


def main(argv: list[str]) -> int:
    """``streamlit run`` of the dashboard with ``argv`` as its options, after :func:`warm`."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    warm()
    from streamlit.web import cli

    gc.collect()
    gc.freeze()  # what is loaded now lives as long as the server: never scan it again
    sys.argv = ["streamlit", "run", str(ENTRY), *argv]
    return cli.main(prog_name="streamlit")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
