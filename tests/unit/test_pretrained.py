"""Pretrained checkpoints: the shipped manifest matches its files, a tampered file is refused,
and ``pretrained/build.py`` writes the hashes and rebuild commands it is trusted for."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest
import torch

import ncode_core as nc

ROOT = Path(__file__).resolve().parents[2]
PRETRAINED = ROOT / "pretrained"


def shipped_entries() -> list[dict]:
    return json.loads((PRETRAINED / "manifest.json").read_text())["checkpoints"]


def load_build_script():
    spec = importlib.util.spec_from_file_location("pretrained_build", PRETRAINED / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_shipped_manifest_hashes_match_the_files():
    """A checkpoint rebuilt without rewriting the manifest (or the reverse) fails here."""
    entries = shipped_entries()
    assert entries, "pretrained/manifest.json lists no checkpoint"
    for entry in entries:
        data = (PRETRAINED / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], (
            f"{entry['file']} is stale: run `{entry['rebuild']}`")
        assert entry["rebuild"] == f"python pretrained/build.py --only {entry['name']}"


def test_every_shipped_checkpoint_is_in_the_manifest():
    listed = {entry["file"] for entry in shipped_entries()}
    on_disk = {path.name for path in PRETRAINED.glob("*.pt")}
    assert on_disk == listed


def test_every_recipe_is_shipped():
    assert set(load_build_script().RECIPES) == {entry["name"] for entry in shipped_entries()}


def test_untouched_copy_loads(tmp_path):
    shutil.copytree(PRETRAINED, tmp_path, dirs_exist_ok=True)
    entry = shipped_entries()[0]
    payload = nc.load_pretrained(tmp_path, entry["name"])
    assert (payload["task"], payload["model"]) == (entry["task"], entry["model"])


def test_tampered_checkpoint_is_refused_naming_file_and_rebuild_command(tmp_path):
    shutil.copytree(PRETRAINED, tmp_path, dirs_exist_ok=True)
    entry = shipped_entries()[0]
    path = tmp_path / entry["file"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(nc.CheckpointError) as caught:
        nc.load_pretrained(tmp_path, entry["name"])
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message and entry["rebuild"] in message and "sha256" in message


def test_missing_file_is_refused_with_rebuild_command(tmp_path):
    shutil.copytree(PRETRAINED, tmp_path, dirs_exist_ok=True)
    entry = shipped_entries()[0]
    (tmp_path / entry["file"]).unlink()
    with pytest.raises(nc.CheckpointError, match="missing.*" + entry["name"]):
        nc.load_pretrained(tmp_path, entry["name"])


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(nc.CheckpointError, match="known: reflection-node"):
        nc.load_pretrained(PRETRAINED, "no-such-model")


def test_manifest_entry_without_hash_is_refused(tmp_path):
    manifest = json.loads((PRETRAINED / "manifest.json").read_text())
    del manifest["checkpoints"][1]["sha256"]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(nc.CheckpointError, match=r"checkpoint #1 lacks \['sha256'\]"):
        nc.read_manifest(tmp_path)


def test_folder_without_manifest_has_no_checkpoints(tmp_path):
    assert nc.read_manifest(tmp_path) == []


def test_build_writes_verifiable_entries(tmp_path, monkeypatch):
    """The build script (tiny recipe) records a hash that loading accepts and a rebuild command."""
    build = load_build_script()
    monkeypatch.setattr(build, "RECIPES", {"reflection-node": build.LabRecipe(
        {"task": "reflection", "model": "node"}, 3)})
    assert build.main(["--out", str(tmp_path)]) == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["built_by"] == "make pretrained"
    [entry] = manifest["checkpoints"]
    assert entry["sha256"] == hashlib.sha256((tmp_path / entry["file"]).read_bytes()).hexdigest()
    assert entry["rebuild"] == "python pretrained/build.py --only reflection-node"
    assert nc.load_pretrained(tmp_path, "reflection-node")["step"] == 3


def test_rebuilding_gives_the_same_bytes(tmp_path, monkeypatch):
    """Training is seeded and saving names nothing at random, so a rebuild reproduces the hash."""
    build = load_build_script()
    monkeypatch.setattr(build, "RECIPES", {"annuli-node": build.LabRecipe(
        {"task": "annuli", "model": "node"}, 2)})
    hashes = []
    for attempt in ("first", "second"):
        assert build.main(["--out", str(tmp_path / attempt)]) == 0
        hashes.append(nc.read_manifest(tmp_path / attempt)[0]["sha256"])
    assert hashes[0] == hashes[1]


def test_plain_run_config_recipe_builds_a_task_without_lab_settings(tmp_path, monkeypatch):
    """A RunRecipe trains from a plain run config with the task's own defaults (memorization:
    fixed-step rk4), records no lab settings and a checkpoint that loads."""
    build = load_build_script()
    recipe = build.RECIPES["memorization-ncode_closed"]
    assert isinstance(recipe, build.RunRecipe)
    tiny = build.RunRecipe({**recipe.config, "task_cfg": {"n_bits": 16, "n_patterns": 2,
                                                          "n_test_episodes": 8}}, 2)
    monkeypatch.setattr(build, "RECIPES", {"memorization-ncode_closed": tiny})
    assert build.main(["--out", str(tmp_path)]) == 0
    [entry] = nc.read_manifest(tmp_path)
    assert "settings" not in entry and entry["steps"] == 2
    assert set(entry["metrics"]) >= {"bit_error", "degraded_bit_error"}
    payload = nc.load_pretrained(tmp_path, "memorization-ncode_closed")
    assert payload["config"].solver.method == "rk4"


AUTOENCODER_ENTRIES = [f"{task}-{model}" for task in ("digits_ae", "mnist_ae")
                       for model in ("autoncode", "ae", "vae")]


@pytest.mark.parametrize("name", AUTOENCODER_ENTRIES)
def test_autoencoder_entries_verify_load_and_carry_computed_scores(name):
    """The Latent flows page's checkpoints: hash-verified, weights only (no optimiser state),
    float32, with the test MSE and clustering accuracy the build computed."""
    entry = next(e for e in shipped_entries() if e["name"] == name)
    payload = nc.load_pretrained(PRETRAINED, name)
    assert (payload["task"], payload["model"]) == tuple(name.split("-"))
    assert payload.get("optimizer") is None
    assert all(t.dtype == torch.float32 for t in payload["state_dict"].values()
               if t.is_floating_point())
    assert {"test_mse", "test_clustering_accuracy", "clustering_images"} <= set(entry["metrics"])
    assert 0 < entry["metrics"]["test_clustering_accuracy"] <= 1
    assert entry["bytes"] < 4_000_000


def test_autoencoder_recipe_builds_weights_only_with_clustering(tmp_path, monkeypatch):
    """A digits autoencoder recipe at 3 steps: the file holds no optimiser state and the entry
    a clustering accuracy computed on the test latents."""
    build = load_build_script()
    recipe = build.RECIPES["digits_ae-ae"]
    tiny = build.RunRecipe({**recipe.config, "task_cfg": {"n_train": 64, "n_test": 40}}, 3,
                           recipe.weights_only, recipe.scores)
    monkeypatch.setattr(build, "RECIPES", {"digits_ae-ae": tiny})
    assert build.main(["--out", str(tmp_path)]) == 0
    [entry] = nc.read_manifest(tmp_path)
    assert entry["metrics"]["clustering_images"] == 40
    assert 0 < entry["metrics"]["test_clustering_accuracy"] <= 1
    assert nc.load_pretrained(tmp_path, "digits_ae-ae").get("optimizer") is None
