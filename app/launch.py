"""Start the dashboard as a subprocess on a free localhost port (e2e tests and benchmarks).

    with serve() as base_url:
        ...  # http://127.0.0.1:<port>

The server runs headless in a fresh interpreter of the same Python, from the repo root, so it
reads ``.streamlit/config.toml``: bound to 127.0.0.1, no file watcher (it trips over
``torch.classes``), no usage statistics. The dashboard starts as ``make run`` starts it
(``app/serve.py``: warmed before the first session); another script under plain
``streamlit run``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
ENTRY = ROOT / "app" / "streamlit_app.py"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def command(port: int, entry: Path = ENTRY) -> list[str]:
    """The command line that serves ``entry`` on ``port`` (run it from the checkout of
    ``entry``): ``python -m app.serve`` for a checkout's dashboard that has it, else
    ``streamlit run`` (another script, or an older checkout a benchmark compares with)."""
    options = ["--server.port", str(port), "--server.headless", "true"]
    if entry.name == ENTRY.name and (entry.parent / "serve.py").exists():
        return [sys.executable, "-m", "app.serve", *options]
    return [sys.executable, "-m", "streamlit", "run", str(entry), *options]


def wait_healthy(base_url: str, timeout_s: float, process: subprocess.Popen) -> float:
    """Poll ``/_stcore/health`` until it answers ok; returns the seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as reply:
                if reply.read().strip() == b"ok":
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"streamlit did not become healthy within {timeout_s} s")


@contextlib.contextmanager
def serve(timeout_s: float = 90.0, log_path: Path | None = None,
          root: Path = ROOT) -> Iterator[str]:
    """Run the dashboard of the checkout at ``root`` (default: this one; benchmarks compare
    two) while the block runs; yields its base URL."""
    port = free_port()
    env = {**os.environ, "NCODE_THREADS": os.environ.get("NCODE_THREADS", "1"),
           "PYTHONUNBUFFERED": "1"}
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(command(port, root / "app" / "streamlit_app.py"), cwd=root,
                               env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base_url, timeout_s, process)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log is not subprocess.DEVNULL:
            log.close()
