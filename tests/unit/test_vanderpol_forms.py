"""Van der Pol: system identification (the true equations, Fig. 3) or the generic learned
N-CODE, chosen by ``task.model_form``."""

from __future__ import annotations

import pytest

from ncode_core.dynamics import MLPControlLaw, PerSampleMLPField, VanDerPolField, VanDerPolLaw
from ncode_core.training import Trainer


def _flow(model: str, form: str):
    trainer = Trainer({"task": "vanderpol", "model": model, "device": "cpu",
                       "task_cfg": {"model_form": form}})
    return trainer, trainer.model.flow


def test_system_identification_is_the_true_equations_with_two_parameters():
    trainer, flow = _flow("ncode_closed", "sysid")
    assert isinstance(flow.system.field, VanDerPolField)
    assert isinstance(flow.system.law, VanDerPolLaw)
    assert trainer.parameter_count == 2  # mu and the learned theta(0)


@pytest.mark.parametrize("model", ["ncode_open", "ncode_closed"])
def test_generic_form_learns_an_mlp_field(model):
    trainer, flow = _flow(model, "generic")
    assert isinstance(flow.system.field, PerSampleMLPField)
    assert (flow.system.law is None) == (model == "ncode_open")
    if model == "ncode_closed":
        assert isinstance(flow.system.law, MLPControlLaw)
    assert trainer.parameter_count > 100
    assert "mu" not in trainer.evaluate()
