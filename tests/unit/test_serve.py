"""`python -m app.serve` (make run, the browser tests, the benchmarks) warms the server before
the first session: the first lab render imports nothing heavy, and the garbage collector's
view of the warmed process is frozen before Streamlit starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from app import launch

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "plotly", "scipy", "sklearn", "numpy", "ncode_core")  # the app's own: cheap

# After app.serve.warm(), a new session's first run of the lab (AppTest) may import only what is
# not in HEAVY: print the heavy modules it imported.
FIRST_LAB_RUN = f"""
import json, sys
from streamlit.testing.v1 import AppTest
from app import serve
if sys.argv[1] == "warm":
    serve.warm()
before = set(sys.modules)
at = AppTest.from_file("app/streamlit_app.py", default_timeout=240)
at.query_params["task"] = "annuli"
at.run()
at.switch_page("app_pages/lab.py")
at.run()
assert not at.exception, at.exception
new = sorted(m for m in set(sys.modules) - before if m.split(".")[0] in {HEAVY!r})
print(json.dumps(new))
"""

# app.serve.main with Streamlit's CLI replaced: what it would run, and whether gc was frozen.
MAIN_WITH_STUB_CLI = """
import gc, json, sys
from streamlit.web import cli
from app import serve
def stub(prog_name):
    print(json.dumps({"argv": sys.argv, "frozen": gc.get_freeze_count(), "prog": prog_name}))
    return 0
cli.main = stub
sys.exit(serve.main(["--server.port", "8999"]))
"""


def run_python(code: str, *args: str) -> str:
    result = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def test_after_warm_the_first_lab_run_imports_nothing_heavy():
    cold = json.loads(run_python(FIRST_LAB_RUN, "cold"))
    warm = json.loads(run_python(FIRST_LAB_RUN, "warm"))
    assert "torch._dynamo" in cold and any(m.startswith("plotly") for m in cold)  # the check bites
    assert warm == []


def test_main_freezes_the_warmed_heap_then_runs_streamlit_on_the_dashboard():
    seen = json.loads(run_python(MAIN_WITH_STUB_CLI))
    assert seen["argv"] == ["streamlit", "run", str(ROOT / "app" / "streamlit_app.py"),
                            "--server.port", "8999"]
    assert seen["prog"] == "streamlit"
    assert seen["frozen"] > 100_000  # torch, plotly, scipy and the app: never collected again


def test_launcher_serves_the_dashboard_warmed_and_other_scripts_plainly(tmp_path):
    assert launch.command(8600)[1:3] == ["-m", "app.serve"]
    assert launch.command(8600)[3:] == ["--server.port", "8600", "--server.headless", "true"]
    other = tmp_path / "page.py"
    assert launch.command(8600, other)[1:5] == ["-m", "streamlit", "run", str(other)]
    older = tmp_path / "app" / "streamlit_app.py"  # a checkout without app/serve.py
    assert launch.command(8600, older)[1:4] == ["-m", "streamlit", "run"]
