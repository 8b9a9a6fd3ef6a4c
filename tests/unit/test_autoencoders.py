"""AutoN-CODE and its baselines (Sec. 4.4, Table A.1): theta's sparsity and normalisation, the
parameter match with the VAE, adjoint == direct for the latent flow, a short training that lowers
the reconstruction error, the CLI, and the conv architectures on synthetic tensors (tests only)."""

from __future__ import annotations

import json

import pytest
import torch

from ncode_core.__main__ import main
from ncode_core.config import ConfigError, SolverConfig
from ncode_core.dynamics import LinearField
from ncode_core.models.autoencoders import (
    ARCHITECTURES,
    TwoPerRowLinearField,
    build_autoencoder,
    normalize_rows,
)
from ncode_core.registry import check_pair
from ncode_core.training import Trainer

TIGHT = SolverConfig(method="dopri5", rtol=1e-10, atol=1e-10)


def _parameters(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_theta_has_two_nonzeros_per_row_at_the_diagonal_and_the_next_column(float64):
    m = 7
    theta = normalize_rows(torch.randn(5, 2 * m), m, row_norm=0.3)
    dense = TwoPerRowLinearField(m).dense(theta)
    assert ((dense != 0).sum(dim=2) == 2).all()
    rows = torch.arange(m)
    expected_mask = torch.zeros(m, m, dtype=torch.bool)
    expected_mask[rows, rows] = True
    expected_mask[rows, (rows + 1) % m] = True
    assert ((dense != 0) == expected_mask).all()
    assert torch.allclose(dense.norm(dim=2), torch.full((5, m), 0.3))


def test_sparse_field_equals_the_dense_matrix_product(float64):
    m = 6
    field = TwoPerRowLinearField(m)
    theta, x = torch.randn(4, 2 * m), torch.randn(4, m)
    dense = LinearField(m)(x, field.dense(theta).flatten(1))
    assert torch.allclose(field(x, theta), dense)


@pytest.mark.parametrize("name", ["mnist", "digits"])
def test_autoncode_has_exactly_the_vae_parameter_count(name):
    architecture = ARCHITECTURES[name]
    counts = {family: _parameters(build_autoencoder(family, architecture, SolverConfig()))
              for family in ("autoncode", "vae", "ae")}
    assert counts["autoncode"] == counts["vae"]
    assert counts["ae"] < counts["vae"]
    doubled = _parameters(build_autoencoder("ae", architecture, SolverConfig(),
                                            latent_dim=2 * architecture.latent_dim))
    # The twice-latent AE has the VAE's encoder head; only the decoder's first layer is wider.
    first_decoder_layer = build_autoencoder("vae", architecture, SolverConfig()).decoder.net[0]
    assert doubled - counts["vae"] == architecture.latent_dim * first_decoder_layer.out_features


@pytest.mark.parametrize("name, image_shape", [("cifar10", (3, 32, 32)), ("celeba", (3, 64, 64))])
def test_conv_architectures_on_synthetic_images(name, image_shape):
    """Table A.1's conv columns on random tensors (synthetic stand-ins, no dataset)."""
    architecture = ARCHITECTURES[name]
    assert architecture.image_shape == image_shape
    torch.manual_seed(0)
    model = build_autoencoder("autoncode", architecture,
                              SolverConfig(method="rk4", step_size=2.5))
    model.eval()
    synthetic = torch.rand(2, *image_shape)
    with torch.no_grad():
        reconstruction, latent, _ = model(synthetic)
    assert reconstruction.shape == synthetic.shape
    assert latent.shape == (2, architecture.latent_dim)
    assert 0 <= float(reconstruction.min()) and float(reconstruction.max()) <= 1
    assert _parameters(model) == _parameters(build_autoencoder("vae", architecture, SolverConfig()))


def test_latent_flow_adjoint_equals_direct(float64):
    torch.manual_seed(0)
    model = build_autoencoder("autoncode", ARCHITECTURES["digits"], TIGHT).double()
    images, x0 = torch.rand(3, 1, 8, 8), torch.randn(3, 10)

    def gradients():
        model.zero_grad(set_to_none=True)
        model(images, x0)[0].pow(2).sum().backward()
        return {n: p.grad.clone() for n, p in model.named_parameters()}

    direct = gradients()
    model.solver = TIGHT.model_copy(update={"adjoint": True})
    adjoint = gradients()
    assert any(name.startswith("encoder") for name in direct)
    for name in direct:
        assert torch.allclose(adjoint[name], direct[name], rtol=1e-6, atol=1e-10), name


def test_latent_flow_solves_the_linear_ode(float64):
    """x(T) equals the matrix exponential exp(T theta) x0."""
    torch.manual_seed(0)
    model = build_autoencoder("autoncode", ARCHITECTURES["digits"], TIGHT,
                              integration_time=10.0).double().eval()
    images, x0 = torch.rand(2, 1, 8, 8), torch.randn(2, 10)
    theta = model.field.dense(model.theta(images))
    expected = torch.einsum("bij,bj->bi", torch.linalg.matrix_exp(10.0 * theta), x0)
    assert torch.allclose(model.encode(images, x0), expected, rtol=1e-7, atol=1e-8)


def _digits_trainer(model: str) -> Trainer:
    return Trainer({"task": "digits_ae", "model": model, "device": "cpu", "seed": 0,
                    "solver": {"method": "rk4", "step_size": 2.5},
                    "training": {"lr": 3e-3, "batch_size": 64},
                    "task_cfg": {"n_train": 256, "n_test": 128}})


@pytest.mark.parametrize("model", ["autoncode", "ae", "vae"])
def test_short_training_lowers_the_reconstruction_error(model):
    trainer = _digits_trainer(model)
    before = trainer.evaluate()["test_loss"]
    for _ in range(40):
        trainer.step()
    after = trainer.evaluate()["test_loss"]
    assert after < 0.8 * before, (before, after)


def test_evaluation_does_not_depend_on_the_batch_size():
    trainer = _digits_trainer("autoncode")
    whole = trainer.evaluate()["test_mse"]
    trainer.task.eval_batch_size = 7
    assert trainer.evaluate()["test_mse"] == pytest.approx(whole, rel=1e-5)


def test_autoencoding_tasks_refuse_flow_families():
    with pytest.raises(ConfigError, match="models that fit: autoncode, ae, vae"):
        check_pair("mnist_ae", "ncode_open")


def test_cli_trains_autoncode_and_reports_json(capsys, tmp_path):
    code = main(["train", "--task", "digits_ae", "--model", "autoncode", "--steps", "2",
                 "--set", "task.n_train=64", "--set", "task.n_test=32",
                 "--set", "training.batch_size=16", "--out", str(tmp_path), "--json"])
    payload = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0
    assert payload["task"] == "digits_ae" and payload["model"] == "autoncode"
    assert payload["nfe_forward"] > 0 and payload["test_loss"] == payload["test_mse"]
    assert (tmp_path / "digits_ae-autoncode-s0.pt").is_file()
