"""The CLI contract of DESIGN.md: --json last line, one-line errors, nothing written on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ncode_core.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NCODE_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "ncode_core", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=300)


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def run_in_process(capsys, *args: str) -> tuple[int, str, str]:
    """The same ``main()`` the module runs, without paying a fresh interpreter per case."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_json_names_models_and_tasks(capsys):
    code, out, _ = run_in_process(capsys, "list", "--json")
    assert code == 0
    payload = last_json(out)
    assert set(payload["models"]) >= {"node", "anode", "node_dc", "ncode_open", "ncode_closed"}
    assert set(payload["tasks"]) >= {"reflection", "annuli", "vanderpol"}


def test_train_then_eval_json_contract(tmp_path):
    result = run_cli("train", "--task", "annuli", "--model", "ncode_open", "--steps", "20",
                     "--seed", "3", "--device", "cpu", "--set", "training.eval_every=10",
                     "--out", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    report = last_json(result.stdout)
    for key in ("task", "model", "steps", "seed", "train_loss", "test_loss", "test_accuracy",
                "nfe_forward", "nfe_backward", "params", "wall_s", "steps_per_s", "checkpoint"):
        assert key in report, key
    assert (report["task"], report["model"], report["steps"], report["seed"]) == (
        "annuli", "ncode_open", 20, 3)
    assert report["nfe_forward"] > 0 and report["nfe_backward"] > 0 and report["params"] > 0
    checkpoint = Path(report["checkpoint"])
    assert checkpoint.is_file() and checkpoint.parent == tmp_path

    evaluated = run_cli("eval", "--checkpoint", str(checkpoint), "--device", "cpu", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    again = last_json(evaluated.stdout)
    assert again["test_loss"] == pytest.approx(report["test_loss"], rel=1e-6)
    assert again["test_accuracy"] == report["test_accuracy"]


@pytest.mark.parametrize("args, needle", [
    (["--task", "annuli", "--model", "resnet"], "unknown model 'resnet'"),
    (["--task", "moons", "--model", "node"], "unknown task 'moons'"),
    (["--task", "annuli", "--model", "node", "--set", "training.lr"], "expected key=value"),
    (["--task", "annuli", "--model", "node", "--set", "bogus.key=1"], "unknown section"),
    (["--task", "annuli", "--model", "node", "--set", "training.lr=nan"], "training.lr"),
    (["--task", "annuli", "--model", "node", "--set", "training.lr=-1"], "training.lr"),
    (["--task", "annuli", "--model", "node", "--set", "training.colour=3"], "training.colour"),
    (["--task", "annuli", "--model", "node", "--set", "task.noise=loud"], "task_cfg.noise"),
    (["--task", "annuli", "--model", "node", "--steps", "-5"], "--steps"),
    (["--task", "annuli", "--model", "node", "--steps", "ten"], "invalid int value"),
])
def test_bad_input_exits_nonzero_with_one_line_and_writes_nothing(capsys, tmp_path, args, needle):
    out = tmp_path / "out"
    code, stdout, stderr = run_in_process(capsys, "train", *args, "--out", str(out), "--json")
    assert code != 0
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), stderr
    assert needle in lines[0]
    assert not out.exists()
    assert stdout == ""


def test_bad_input_from_a_real_process_has_no_traceback(tmp_path):
    result = run_cli("train", "--task", "annuli", "--model", "resnet", "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()


def test_eval_of_a_missing_checkpoint_is_one_line(capsys, tmp_path):
    code, _, stderr = run_in_process(capsys, "eval", "--checkpoint", str(tmp_path / "nope.pt"))
    assert code != 0
    assert stderr.strip().count("\n") == 0 and "does not exist" in stderr
