"""CLI progress on stderr: a bar on a terminal (a real pseudo-terminal), plain lines in a pipe;
stdout (and its last JSON line) untouched either way."""

from __future__ import annotations

import fcntl
import io
import os
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from ncode_core.__main__ import main
from ncode_core.cli_progress import (
    BarReporter,
    LineReporter,
    TrainingProgress,
    open_progress,
    terminal_width,
)
# In-process runs under capsys: neither stdout nor stderr is a terminal, as in a pipe.
from tests.unit.test_cli import last_json, run_in_process

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NCODE_THREADS": "1"}
TRAIN = ("train", "--task", "annuli", "--model", "ncode_open", "--steps", "20", "--device", "cpu",
         "--set", "training.eval_every=10")


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "ncode_core", *args]


def run_with_terminal_stderr(command: list[str]) -> tuple[int, str, str]:
    """Run ``command`` with stderr on a fresh pseudo-terminal (120 columns) and stdout on a pipe;
    returns (exit status, stdout, what the terminal received)."""
    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    with subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                          stderr=terminal) as process:
        os.close(terminal)
        received = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # Linux reports the closed terminal as EIO
                break
            if not chunk:
                break
            received += chunk
        stdout = process.stdout.read().decode()
    os.close(controller)
    return process.returncode, stdout, received.decode(errors="replace")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("progress")
    assert main([*TRAIN, "--out", str(out), "--json"]) == 0
    return str(out / "annuli-ncode_open-s0.pt")


def test_train_and_eval_in_a_pipe_write_plain_lines_to_stderr(capsys, tmp_path):
    code, stdout, stderr = run_in_process(capsys, *TRAIN, "--out", str(tmp_path), "--json")
    assert code == 0, stderr
    assert len(stdout.strip().splitlines()) == 1, "--json prints only the JSON object"
    report = last_json(stdout)
    lines = stderr.strip().splitlines()
    assert [line.split("  ")[0] for line in lines] == ["train 10/20", "train 20/20"]
    assert f"test_accuracy={report['test_accuracy']:.4g}" in lines[-1]
    assert "\r" not in stderr

    code, stdout, stderr = run_in_process(capsys, "eval", "--checkpoint", report["checkpoint"],
                                          "--json")
    assert code == 0, stderr
    assert stderr.strip() == (f"eval 1/1  test_loss={report['test_loss']:.4g}  "
                              f"test_accuracy={report['test_accuracy']:.4g}")
    assert last_json(stdout)["test_accuracy"] == report["test_accuracy"]


def test_train_without_json_keeps_stdout_for_the_result(capsys, tmp_path):
    code, stdout, stderr = run_in_process(capsys, *TRAIN, "--out", str(tmp_path))
    assert code == 0, stderr
    assert stdout.strip().splitlines() == [f"saved {tmp_path / 'annuli-ncode_open-s0.pt'}"]
    assert stderr.count("train ") == 2


def test_train_on_a_terminal_draws_a_bar_and_json_stays_on_stdout(tmp_path):
    code, stdout, terminal = run_with_terminal_stderr(cli(*TRAIN, "--out", str(tmp_path),
                                                          "--json"))
    assert code == 0, terminal
    report = last_json(stdout)
    assert report["steps"] == 20
    assert "\r" in terminal and "20/20" in terminal and "step/s" in terminal
    final = terminal.replace("\r\n", "\n").split("\r")[-1]
    assert final.startswith("train: 100%") and "test_accuracy=" in final
    assert "train 10/20" not in terminal  # the plain-line format is for pipes only


def test_eval_on_a_terminal_draws_a_bar(checkpoint):
    code, stdout, terminal = run_with_terminal_stderr(cli("eval", "--checkpoint", checkpoint,
                                                          "--json"))
    assert code == 0, terminal
    assert last_json(stdout)["checkpoint"] == checkpoint
    assert "eval: 100%" in terminal and "1/1" in terminal


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_open_progress_chooses_by_the_stream():
    assert isinstance(open_progress("train", 10, stream=io.StringIO()), LineReporter)
    bar = open_progress("train", 10, stream=FakeTerminal())
    assert isinstance(bar, BarReporter)
    bar.close()


def test_lines_every_n_steps_and_at_the_end():
    stream = io.StringIO()
    callback = TrainingProgress(LineReporter("train", 5, stream, every=2),
                                ("train_loss", "test_loss"))
    for step in range(1, 6):
        callback.on_step(None, {"step": step, "train_loss": 1.0 / step, "nfe_forward": 8})
    assert stream.getvalue().splitlines() == ["train 2/5  train_loss=0.5",
                                              "train 4/5  train_loss=0.25",
                                              "train 5/5  train_loss=0.2"]


def test_bar_keeps_the_latest_test_metrics_between_evaluations():
    stream = FakeTerminal()
    bar = BarReporter("train", 4, stream)
    bar.update(1, {"train_loss": 0.5, "test_loss": 0.4})
    bar.update(2, {"train_loss": 0.3})
    assert bar.bar.n == 2 and bar.bar.postfix == "train_loss=0.3  test_loss=0.4"
    bar.close()


@pytest.mark.parametrize("columns, expected", [(0, 100), (57, 57)])
def test_bar_width_falls_back_when_the_terminal_reports_none(columns, expected):
    controller, terminal = os.openpty()
    try:
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        with open(terminal, "w", closefd=False) as stream:
            assert terminal_width(stream) == expected
    finally:
        os.close(terminal)
        os.close(controller)
