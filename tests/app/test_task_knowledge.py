"""The dashboard takes everything task- and model-specific from the registry: a task added to
``TASKS`` appears in its menus, defaults and views with no edit of app/."""

from __future__ import annotations

import dataclasses

import pytest

import ncode_core as nc
from app.components import settings as S
from app.components import views


@pytest.fixture
def rings(monkeypatch):
    """A new task, registered the way a contributor would (a subclass plus one table entry)."""
    base = next(cls for cls in nc.lab_tasks().values() if "decision" in cls.ui.lab.views)
    lab = dataclasses.replace(base.ui.lab, sample_range=(100, 50, 300), batch_size=32, lr=3e-3,
                              opens=())
    ui = dataclasses.replace(base.ui, label="Rings (test)", lab=lab)
    cls = type("RingsTask", (base,), {"name": "rings", "ui": ui})
    monkeypatch.setitem(nc.TASKS, "rings", cls)
    return cls


def test_a_registered_task_gets_menus_defaults_and_settings(rings):
    assert S.task_label("rings") == "Rings (test)"
    defaults = S.defaults_for("rings")
    assert (defaults["n"], defaults["batch"], defaults["lr"]) == (100, 32, 3e-3)
    assert defaults["model"] == rings.ui.lab.default_model
    assert S.normalise({"task": "rings", "n": 9999})["n"] == 300  # the task's own range
    settings, problems = S.from_query({"task": "rings"})
    assert settings["task"] == "rings" and not problems
    config = S.to_run_config(settings)
    assert S.from_run_config(config) == S.normalise(settings)


def test_every_declared_view_has_a_builder():
    for cls in nc.lab_tasks().values():
        assert set(cls.ui.lab.views) <= set(views.BUILDERS), cls.name
    assert set(views.VIEW_TITLES) == set(views.BUILDERS)  # the lab's "More views" names them


def test_defaults_follow_the_task_declarations():
    assert S.DEFAULTS["task"] == S.default_task("lab")
    for name, cls in nc.lab_tasks().items():
        assert S.defaults_for(name)["n"] == cls.ui.lab.sample_range[0]
        assert S.task_label(name) == cls.ui.label
    for name, cls in nc.MODELS.items():
        assert S.model_label(name) == cls.info.label
