"""`.streamlit/config.toml` keeps a plain `streamlit run app/streamlit_app.py` on loopback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".streamlit" / "config.toml"
# `streamlit config show` prints the resolved options as commented TOML: keep the section headers
# and the options that are set.
SET_OPTION = re.compile(r"^(\[[\w.]+\]|\w+ = .*)$")


def resolved_options(*flags: str, env: dict[str, str] | None = None) -> dict:
    """The options Streamlit resolves started from the repo root (file, then env, then flags),
    the same way `streamlit run` does."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("STREAMLIT_")}
    result = subprocess.run([sys.executable, "-m", "streamlit", "config", "show", *flags],
                            cwd=ROOT, capture_output=True, text=True,
                            env={**clean, **(env or {})}, timeout=120)
    assert result.returncode == 0, result.stderr
    kept = [line for line in result.stdout.splitlines() if SET_OPTION.match(line)]
    return tomllib.loads("\n".join(kept))


def test_config_file_binds_to_loopback_without_watcher_or_usage_stats():
    config = tomllib.loads(CONFIG.read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["fileWatcherType"] == "none"
    assert config["browser"]["gatherUsageStats"] is False


def test_streamlit_reads_the_config_from_the_repo_root():
    options = resolved_options()
    assert options["server"]["address"] == "127.0.0.1"
    assert options["server"]["fileWatcherType"] == "none"
    assert options["browser"]["gatherUsageStats"] is False


def test_flag_and_environment_override_the_address():
    assert resolved_options("--server.address", "0.0.0.0")["server"]["address"] == "0.0.0.0"
    env = {"STREAMLIT_SERVER_ADDRESS": "192.0.2.1"}
    assert resolved_options(env=env)["server"]["address"] == "192.0.2.1"


def test_launchers_rely_on_the_config_file():
    """The Makefile, app/launch.py and app/serve.py do not repeat the address (one place to
    change it)."""
    for path in (ROOT / "Makefile", ROOT / "app" / "launch.py", ROOT / "app" / "serve.py"):
        assert "server.address" not in path.read_text(), path
