"""Named presets: expansion into validated job specs, all-or-nothing submission, the CLI
(``presets``, ``submit --preset``, ``jobs table``) and the results table read from the store."""

from __future__ import annotations

import dataclasses
import json

import pytest

import ncode_core as nc
from ncode_core.config import ConfigError
from ncode_core.jobs import presets as presets_module
from ncode_core.jobs.database import StoreError
from tests.unit.jobs_helpers import cli_in_process


@pytest.fixture
def runs(tmp_path, monkeypatch):
    """An empty runs folder; submissions never start a worker."""
    monkeypatch.setenv("NCODE_WORKER_AUTOSTART", "0")
    return tmp_path / "runs"


def _stored(runs) -> list[nc.Job]:
    if not (runs / "ncode.db").exists():
        return []
    with nc.JobStore(runs) as store:
        return store.list_jobs()


@pytest.mark.parametrize("name", sorted(nc.PRESETS))
def test_every_preset_expands_to_valid_specs_one_per_entry_and_seed(name):
    preset = nc.PRESETS[name]
    specs = preset.expand()  # each through validate_job_spec: run config, memory, step budget
    assert len(specs) == preset.job_count == len(preset.entries) * len(preset.seeds)
    assert all(isinstance(spec, nc.JobSpec) for spec in specs)
    assert len({spec.name for spec in specs}) == len(specs)
    for spec in specs:
        assert spec.task == preset.task and spec.steps == preset.steps
        assert f"preset={name}" in spec.tags
        spec.run_config()  # the stored spec re-validates (the runner does this)
    pairs = {(tag.split("=")[1], spec.seed) for spec in specs for tag in spec.tags
             if tag.startswith("entry=")}
    assert pairs == {(e.key, s) for e in preset.entries for s in preset.seeds}
    for entry in preset.entries:
        assert entry.paper is None or entry.paper.metric in nc.TASKS[preset.task].metric_names


@pytest.mark.parametrize("name, solver", [
    ("table1-mnist", ("dopri5", 1e-3, 1e-3, None)), ("table1-digits", ("dopri5", 1e-3, 1e-3, None)),
    ("table1-mnist-cpu", ("rk4", 1e-3, 1e-3, 1.0)),
    ("table1-fashion-mnist-cpu", ("rk4", 1e-3, 1e-3, 1.0))])
def test_table1_presets_use_the_papers_sizes_and_their_solver(name, solver):
    by_entry = {}
    for spec in nc.PRESETS[name].expand():
        by_entry[next(t for t in spec.tags if t.startswith("entry="))[6:]] = spec
    assert {k: s.model for k, s in by_entry.items()} == {
        "ncode": "ncode_open", "ncode_3x3": "ncode_open", "anode": "anode",
        "node_dc": "node_dc"}
    config = by_entry["ncode_3x3"].run_config()
    assert config.task_cfg.controlled_kernels == "3x3"
    assert by_entry["ncode"].run_config().task_cfg.controlled_kernels == "all"
    assert (config.model_cfg.hidden, config.model_cfg.gamma_hidden) == (50, 10)
    assert config.task_cfg.augment_channels == 10
    assert (config.solver.method, config.solver.rtol, config.solver.atol,
            config.solver.step_size) == solver
    assert (config.training.batch_size, config.training.lr) == (64, 3e-3)


def test_table1_presets_carry_the_papers_numbers_only_for_mnist():
    for name in ("table1-mnist", "table1-mnist-cpu"):
        assert [e.paper.value for e in nc.PRESETS[name].entries if e.paper] == [
            0.992, 0.982, 0.985]
    assert all(e.paper is None for e in nc.PRESETS["table1-fashion-mnist-cpu"].entries)


def test_fig6_is_four_models_three_seeds_on_the_default_task():
    preset = nc.PRESETS["fig6"]
    specs = preset.expand()
    assert sorted({s.model for s in specs}) == ["lstm", "ncode_closed", "node_dc", "ode_rnn"]
    assert preset.seeds == (0, 1, 2) and len(specs) == 12
    config = specs[0].run_config().task_cfg
    assert (config.n_bits, config.n_patterns, config.degradation) == (100, 5, 0.5)


def test_seeds_and_steps_replace_the_presets_own():
    specs = nc.PRESETS["fig6"].expand(seeds=[7], steps=3)
    assert [(s.seed, s.steps) for s in specs] == [(7, 3)] * 4
    with pytest.raises(ConfigError, match="seed"):
        nc.PRESETS["fig6"].expand(seeds=[])


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(ConfigError) as caught:
        nc.get_preset("table9")
    assert all(name in str(caught.value) for name in nc.PRESETS)


def test_submit_is_all_or_nothing(runs, monkeypatch):
    good = nc.PRESETS["fig6"]
    broken = dataclasses.replace(good, name="broken", entries=(
        *good.entries, nc.PresetEntry("bad", "bad", "lstm", task_cfg={"n_nonsense": 1})))
    monkeypatch.setitem(presets_module.PRESETS, "broken", broken)
    with pytest.raises(ConfigError, match="broken-bad-s0"):
        nc.submit_preset("broken", runs_dir=runs)
    assert _stored(runs) == []
    jobs = nc.submit_preset("fig6", seeds=[0], steps=2, runs_dir=runs)
    assert [job.status for job in jobs] == ["queued"] * 4
    assert sorted(job.id for job in _stored(runs)) == [job.id for job in jobs]


def test_store_rolls_back_every_row_and_folder_when_one_job_fails(runs, monkeypatch):
    specs = nc.PRESETS["fig6"].expand(seeds=[0], steps=2)
    original = nc.JobStore._make_run_folder
    made = []

    def fail_on_third(self, run_dir, spec_json):
        if len(made) == 2:
            raise StoreError("disk full")
        made.append(run_dir)
        return original(self, run_dir, spec_json)

    monkeypatch.setattr(nc.JobStore, "_make_run_folder", fail_on_third)
    with nc.JobStore(runs) as store, pytest.raises(StoreError, match="disk full"):
        store.create_jobs(specs)
    assert len(made) == 2 and _stored(runs) == []
    assert not any(p for p in (runs / "jobs").iterdir() if not p.name.startswith("."))


def test_cli_submit_preset_json_lists_ids_and_bad_names_store_nothing(runs):
    code, out, err = cli_in_process("submit", "--preset", "nope", "--runs-dir", str(runs),
                                    "--no-worker", "--json")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "unknown preset 'nope'" in err and all(name in err for name in nc.PRESETS)
    code, out, err = cli_in_process("submit", "--preset", "fig6", "--task", "annuli",
                                    "--runs-dir", str(runs), "--no-worker")
    assert code == 2 and "--task" in err
    assert _stored(runs) == []
    code, out, err = cli_in_process("submit", "--preset", "table1-digits", "--seeds", "3", "4",
                                    "--steps", "5", "--runs-dir", str(runs), "--no-worker",
                                    "--json")
    assert code == 0, err
    payload = json.loads(out.strip().splitlines()[-1])
    stored = _stored(runs)
    assert payload["preset"] == "table1-digits" and payload["count"] == 8
    assert sorted(payload["ids"]) == sorted(job.id for job in stored)
    assert {(job.spec["seed"], job.steps) for job in stored} == {(3, 5), (4, 5)}
    assert all("preset=table1-digits" in job.spec["tags"] for job in stored)


def test_cli_lists_presets():
    code, out, _ = cli_in_process("presets", "--json")
    listed = json.loads(out.strip().splitlines()[-1])["presets"]
    assert code == 0 and [p["name"] for p in listed] == list(nc.PRESETS)
    assert {p["name"]: p["jobs"] for p in listed}["fig6"] == 12
    code, out, _ = cli_in_process("presets")
    assert code == 0 and all(name in out for name in nc.PRESETS)


def _finish(store: nc.JobStore, job: nc.Job, **result) -> None:
    store.claim_next("test-worker")  # the oldest queued job: ``job`` when called in id order
    store.finish(job.id, "succeeded", result={"steps": job.steps, **result})


def test_results_table_from_finished_jobs(runs):
    jobs = nc.submit_preset("fig6", seeds=[0, 1], steps=4, runs_dir=runs)
    with nc.JobStore(runs) as store:
        other = store.create_job(nc.validate_job_spec({"task": "memorization",
                                                       "model": "lstm", "steps": 1}))
        by_name = {job.name: job for job in jobs}
        _finish(store, by_name["fig6-ncode_closed-s0"], bit_error=0.02, degraded_bit_error=0.04,
                test_loss=0.1, device="cuda")
        _finish(store, by_name["fig6-ncode_closed-s1"], bit_error=0.04, degraded_bit_error=0.08,
                test_loss=0.3, device="cpu")
        store.claim_next("test-worker")
        store.finish(by_name["fig6-node_dc-s0"].id, "failed", "NaN loss")
        rows = nc.preset_results(store, "fig6")  # the untagged job ``other`` is not counted
        assert other.id not in [j.id for j in jobs]
    assert [row["entry"] for row in rows] == ["ncode_closed", "node_dc", "ode_rnn", "lstm"]
    ncode, node_dc = rows[0], rows[1]
    assert (ncode["finished"], ncode["jobs"]) == (2, 2)
    assert ncode["bit_error"] == pytest.approx(0.03)
    assert ncode["bit_error_std"] == pytest.approx(0.0141421356)
    assert ncode["degraded_bit_error"] == pytest.approx(0.06) and ncode["test_loss"] == pytest.approx(0.2)
    assert ncode["steps"] == 4 and ncode["device"] == "cpu, cuda"
    assert 0 <= ncode["wall_s"] < 60
    assert (ncode["paper_metric"], ncode["paper_value"]) == ("bit_error", 0.01)
    assert "1 %" in ncode["paper"]
    assert (node_dc["finished"], node_dc["jobs"], node_dc["bit_error"]) == (0, 2, None)
    assert node_dc["paper_value"] == 0.175 and rows[3]["paper_value"] == 0.25
    assert rows[3]["jobs"] == 2  # the untagged lstm job is not one of the preset's
    json.dumps(rows)  # plain rows
    code, out, err = cli_in_process("jobs", "table", "--preset", "fig6", "--runs-dir", str(runs),
                                    "--json")
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1])["rows"] == rows
    code, out, _ = cli_in_process("jobs", "table", "--preset", "fig6", "--runs-dir", str(runs))
    assert code == 0 and "N-CODE (closed)" in out and "0.03" in out


def test_a_refused_hand_over_fails_that_job_and_the_unsent_ones(runs, monkeypatch):
    from ncode_core.jobs import api

    class Refusing:
        """An executor that takes the first job and refuses the second."""

        address = None
        taken: list[int] = []

        def connect(self) -> None:
            pass

        def submit(self, store, job) -> None:
            if self.taken:
                raise RuntimeError("cluster went away")
            self.taken.append(job.id)

    monkeypatch.setattr(api, "executor_for", lambda *args, **kwargs: Refusing())
    with pytest.raises(ConfigError, match="cluster went away") as caught:
        nc.submit_preset("fig6", seeds=[0], steps=2, runs_dir=runs)
    stored = sorted(_stored(runs), key=lambda job: job.id)
    assert [job.status for job in stored] == ["queued", "failed", "failed", "failed"]
    assert all("cluster went away" in job.error for job in stored[1:])
    assert f"jobs {stored[1].id}, {stored[2].id}, {stored[3].id}" in str(caught.value)


def test_results_name_the_newest_finished_checkpoint(runs, tmp_path):
    jobs = nc.submit_preset("table2-mnist", steps=4, runs_dir=runs)
    with nc.JobStore(runs) as store:
        for job, name in zip(jobs[:2], ("first.pt", "second.pt")):  # autoncode's, then ae's
            store.claim_next("test-worker")
            store.record_checkpoint(job.id, 4, tmp_path / name)
            store.finish(job.id, "succeeded", result={"steps": 4, "test_mse": 0.1})
        rows = {row["entry"]: row for row in nc.preset_results(store, "table2-mnist")}
    assert rows["autoncode"]["checkpoint"] == str(tmp_path / "first.pt")
    assert rows["ae"]["checkpoint"] == str(tmp_path / "second.pt")
    assert rows["vae"]["checkpoint"] is None
