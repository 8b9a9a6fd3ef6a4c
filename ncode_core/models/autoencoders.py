"""Autoencoders of Table A.1: AutoN-CODE (Sec. 4.4, Eqs. 8-9) and its baselines AE and VAE.

Every model maps images ``(B, C, H, W)`` in [0, 1] to a latent ``(B, m)`` and back. They share
one encoder/decoder architecture per dataset (:data:`ARCHITECTURES`); they differ only in the
encoder's head and what happens between encoder and decoder:

- ``ae``: the encoder outputs the latent ``z (B, m)``.
- ``vae``: the encoder outputs ``(mu, log_var)``, ``2m`` numbers; the latent is a reparameterised
  draw during training and ``mu`` at evaluation.
- ``autoncode``: the encoder outputs the ``2m`` non-zeros of a sparse ``theta (m x m)``
  (:class:`TwoPerRowLinearField`), normalised row by row; the latent is ``x(T)`` of
  ``dx/dt = theta x`` from ``x(0) ~ N(0, I)`` on ``[0, T]`` (T = 10 in the paper). Its encoder
  head has the VAE's width, so the two models have exactly the same parameter count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar

import torch
from torch import Tensor, nn

from ncode_core.config import SolverConfig
from ncode_core.dynamics.system import ControlledSystem
from ncode_core.integrate import solve
from ncode_core.models.field_builders import Shape, flat_size
from ncode_core.models.info import ModelInfo


# --------------------------------------------------------------------------- architectures


class MLPEncoder(nn.Sequential):
    """Table A.1, MNIST: flatten -> FC(hidden) -> ReLU -> FC(out_dim);
    ``(B, C, H, W) -> (B, out_dim)``."""

    def __init__(self, image_shape: Shape, out_dim: int, hidden: int) -> None:
        super().__init__(nn.Flatten(), nn.Linear(flat_size(image_shape), hidden), nn.ReLU(),
                         nn.Linear(hidden, out_dim))


class MLPDecoder(nn.Module):
    """Table A.1, MNIST: FC(hidden) -> ReLU -> FC(pixels) -> sigmoid; ``(B, m) -> (B, C, H, W)``."""

    def __init__(self, latent_dim: int, image_shape: Shape, hidden: int) -> None:
        super().__init__()
        self.image_shape = tuple(image_shape)
        self.net = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(),
                                 nn.Linear(hidden, flat_size(image_shape)), nn.Sigmoid())

    def forward(self, latent: Tensor) -> Tensor:
        return self.net(latent).reshape(-1, *self.image_shape)


class ConvEncoder(nn.Sequential):
    """Table A.1, CIFAR-10 / CelebA: per channel count, Conv(k, stride 2) -> BN -> ReLU; then
    flatten -> FC(out_dim). ``(B, C, H, W) -> (B, out_dim)``; H and W divisible by 2**layers."""

    def __init__(self, image_shape: Shape, out_dim: int, channels: tuple[int, ...],
                 kernel: int) -> None:
        layers: list[nn.Module] = []
        previous = image_shape[0]
        padding = (kernel - 1) // 2
        for count in channels:
            layers += [nn.Conv2d(previous, count, kernel, stride=2, padding=padding),
                       nn.BatchNorm2d(count), nn.ReLU()]
            previous = count
        side_h = image_shape[1] // 2 ** len(channels)
        side_w = image_shape[2] // 2 ** len(channels)
        layers += [nn.Flatten(), nn.Linear(previous * side_h * side_w, out_dim)]
        super().__init__(*layers)


class ConvDecoder(nn.Module):
    """Table A.1, CIFAR-10 / CelebA: FC to ``(channels[0], base, base)`` -> BN -> ReLU, then per
    further channel count ConvTranspose(k, stride 2) -> BN -> ReLU, then a stride-1 convolution
    to the image's channels and a sigmoid. ``(B, m) -> (B, C, H, W)``."""

    def __init__(self, latent_dim: int, image_shape: Shape, channels: tuple[int, ...],
                 kernel: int, base: int) -> None:
        super().__init__()
        self.start = (channels[0], base, base)
        self.project = nn.Linear(latent_dim, flat_size(self.start))
        self.start_norm = nn.Sequential(nn.BatchNorm2d(channels[0]), nn.ReLU())
        padding = (kernel - 1) // 2
        output_padding = 1 if kernel % 2 else 0  # odd kernels need it to exactly double
        layers: list[nn.Module] = []
        for before, after in zip(channels, channels[1:]):
            layers += [nn.ConvTranspose2d(before, after, kernel, stride=2, padding=padding,
                                          output_padding=output_padding),
                       nn.BatchNorm2d(after), nn.ReLU()]
        # Stride-1 output layer keeping the size; an even kernel needs uneven zero padding.
        before_pad, after_pad = (kernel - 1) // 2, kernel // 2
        layers += [nn.ZeroPad2d((before_pad, after_pad, before_pad, after_pad)),
                   nn.Conv2d(channels[-1], image_shape[0], kernel), nn.Sigmoid()]
        self.body = nn.Sequential(*layers)

    def forward(self, latent: Tensor) -> Tensor:
        start = self.project(latent).reshape(-1, *self.start)
        return self.body(self.start_norm(start))


@dataclass(frozen=True)
class Architecture:
    """One row of Table A.1: the image shape, the latent size m and the encoder/decoder builders.

    ``encoder(out_dim)`` -> module ``(B, *image_shape) -> (B, out_dim)``;
    ``decoder(latent_dim)`` -> module ``(B, latent_dim) -> (B, *image_shape)``.
    """

    name: str
    image_shape: Shape
    latent_dim: int
    encoder: Callable[[int], nn.Module]
    decoder: Callable[[int], nn.Module]


def mlp_architecture(name: str, image_shape: Shape, latent_dim: int, hidden: int) -> Architecture:
    """The MNIST column of Table A.1 (``hidden`` = 400 there) for any image shape."""
    return Architecture(name, image_shape, latent_dim,
                        lambda out: MLPEncoder(image_shape, out, hidden),
                        lambda latent: MLPDecoder(latent, image_shape, hidden))


def conv_architecture(name: str, image_shape: Shape, latent_dim: int, kernel: int,
                      encoder_channels: tuple[int, ...] = (256, 512, 1024),
                      decoder_channels: tuple[int, ...] = (1024, 512, 256)) -> Architecture:
    """The CIFAR-10 / CelebA columns of Table A.1: the decoder starts from 8x8 (Table A.1's
    ``FC1024*8*8``) and doubles the size once per channel step until the image's height."""
    steps = len(decoder_channels) - 1
    base = image_shape[1] // 2 ** steps
    if base * 2 ** steps != image_shape[1] or image_shape[1] != image_shape[2]:
        raise ValueError(f"image_shape: {image_shape} must be square with a side divisible by "
                         f"2**{steps}")
    return Architecture(name, image_shape, latent_dim,
                        lambda out: ConvEncoder(image_shape, out, encoder_channels, kernel),
                        lambda latent: ConvDecoder(latent, image_shape, decoder_channels,
                                                   kernel, base))


ARCHITECTURES: dict[str, Architecture] = {
    "mnist": mlp_architecture("mnist", (1, 28, 28), latent_dim=25, hidden=400),
    "cifar10": conv_architecture("cifar10", (3, 32, 32), latent_dim=128, kernel=4),
    # Table A.1 lists two transposed convolutions (8 -> 32); a 64x64 image needs a third
    # doubling, for which Ghosh et al.'s CelebA decoder (the model adapted, C.4) uses 128 filters.
    "celeba": conv_architecture("celeba", (3, 64, 64), latent_dim=64, kernel=5,
                                decoder_channels=(1024, 512, 256, 128)),
    # Not in the paper: MNIST's architecture shrunk to the bundled 8x8 digits, for fast runs.
    "digits": mlp_architecture("digits", (1, 8, 8), latent_dim=10, hidden=64),
}


# --------------------------------------------------------------------------- AutoN-CODE field


class TwoPerRowLinearField(nn.Module):
    """``f(x; theta) = theta x`` for a sparse ``theta (m x m)`` with two non-zeros per row.

    Row i holds ``theta[i, i] = a_i`` and ``theta[i, (i + 1) mod m] = b_i``: every latent
    component has its own rate and is driven by the next one, so the couplings form one ring
    through all m components. The positions are fixed; the encoder predicts the 2m values.
    theta is passed flat ``(B, 2m)`` as ``[a_1..a_m, b_1..b_m]``; the product costs O(m) per
    sample instead of the dense O(m^2).
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.theta_size = 2 * dim
        self.register_buffer("neighbour", torch.roll(torch.arange(dim), -1), persistent=False)

    def forward(self, x: Tensor, theta: Tensor) -> Tensor:
        """x ``(B, m)``, theta ``(B, 2m)`` -> ``(B, m)``."""
        diagonal, coupling = theta.split(self.dim, dim=1)
        return diagonal * x + coupling * x[:, self.neighbour]

    def dense(self, theta: Tensor) -> Tensor:
        """The matrices ``(B, m, m)`` of flat ``theta (B, 2m)``."""
        diagonal, coupling = theta.split(self.dim, dim=1)
        rows = torch.arange(self.dim, device=theta.device)
        matrix = theta.new_zeros(theta.shape[0], self.dim, self.dim)
        matrix[:, rows, rows] = diagonal
        matrix[:, rows, self.neighbour] = coupling
        return matrix


def normalize_rows(theta: Tensor, dim: int, row_norm: float, eps: float = 1e-8) -> Tensor:
    """Component-wise normalisation (Table A.1) of flat sparse theta ``(B, 2m)``: each row's two
    non-zeros ``(a_i, b_i)`` are rescaled to Euclidean norm ``row_norm``.

    Why: this bounds the growth rate of ``dx/dt = theta x`` (every eigenvalue has modulus at most
    ``max_i |a_i| + |b_i| <= sqrt(2) row_norm``) whatever the encoder outputs, so x(T) stays
    finite and the solver's step count bounded; the encoder still chooses every direction.
    """
    diagonal, coupling = theta.split(dim, dim=1)
    scale = row_norm / torch.sqrt(diagonal.pow(2) + coupling.pow(2)).clamp_min(eps)
    return torch.cat([diagonal * scale, coupling * scale], dim=1)


# --------------------------------------------------------------------------- models


class Autoencoder(nn.Module):
    """Base of the three families: ``encode``, ``decode`` and ``forward``.

    Subclasses set ``family`` (the registry key) and implement :meth:`encode_outputs`.
    ``forward(images) -> (reconstruction (B, C, H, W), latent (B, m), kl (B,) or None)``.
    """

    family: ClassVar[str] = ""
    info: ClassVar[ModelInfo]
    controlled: ClassVar[bool] = False  # AutoN-CODE: a per-sample theta drives its latent flow

    def __init__(self, architecture: Architecture, latent_dim: int, head_width: int) -> None:
        super().__init__()
        self.architecture_name = architecture.name
        self.latent_dim = latent_dim
        self.encoder = architecture.encoder(head_width)
        self.decoder = architecture.decoder(latent_dim)

    def encode_outputs(self, images: Tensor, x0: Tensor | None) -> tuple[Tensor, Tensor | None]:
        """images ``(B, C, H, W)`` -> (latent ``(B, m)``, per-sample KL ``(B,)`` or None)."""
        raise NotImplementedError

    def encode(self, images: Tensor, x0: Tensor | None = None) -> Tensor:
        """The latent code ``(B, m)`` of images ``(B, C, H, W)`` (AutoN-CODE: x(T) from ``x0``,
        drawn as described in :meth:`AutoNCODE.initial_latent` when None)."""
        return self.encode_outputs(images, x0)[0]

    def decode(self, latent: Tensor) -> Tensor:
        """Images ``(B, C, H, W)`` in [0, 1] from latents ``(B, m)``."""
        return self.decoder(latent)

    def forward(self, images: Tensor, x0: Tensor | None = None
                ) -> tuple[Tensor, Tensor, Tensor | None]:
        latent, kl = self.encode_outputs(images, x0)
        return self.decode(latent), latent, kl


class PlainAutoencoder(Autoencoder):
    """``ae``: encoder -> latent ``(B, m)`` -> decoder. With ``latent_dim = 2m`` it is the
    paper's "AE with twice the capacity" (Fig. A.7), whose encoder head matches the VAE's."""

    family = "ae"
    info = ModelInfo("Autoencoder", ())

    def __init__(self, architecture: Architecture, latent_dim: int) -> None:
        super().__init__(architecture, latent_dim, latent_dim)

    def encode_outputs(self, images: Tensor, x0: Tensor | None) -> tuple[Tensor, Tensor | None]:
        return self.encoder(images), None


class VariationalAutoencoder(Autoencoder):
    """``vae`` (Kingma & Welling 2013): the encoder outputs ``mu`` and ``log_var`` ``(B, m)``
    each; training draws ``z = mu + exp(log_var / 2) * eps``; evaluation uses ``mu``."""

    family = "vae"
    info = ModelInfo("VAE", ())

    def __init__(self, architecture: Architecture, latent_dim: int) -> None:
        super().__init__(architecture, latent_dim, 2 * latent_dim)

    def encode_outputs(self, images: Tensor, x0: Tensor | None) -> tuple[Tensor, Tensor | None]:
        mu, log_var = self.encoder(images).split(self.latent_dim, dim=1)
        kl = 0.5 * (mu.pow(2) + log_var.exp() - 1 - log_var).sum(dim=1)
        if not self.training:
            return mu, kl
        return mu + torch.exp(0.5 * log_var) * torch.randn_like(mu), kl


class AutoNCODE(Autoencoder):
    """``autoncode`` (Eqs. 8-9): ``theta = normalize_rows(encoder(u))`` with two non-zeros per
    row; latent ``x(T)`` of ``dx/dt = theta x``, ``dtheta/dt = 0`` from ``(x0, theta)``.

    The ODE state is ``(x (B, m), theta (B, 2m))``, solved by :func:`ncode_core.integrate.solve`
    (NFE counted, adjoint switch in ``solver``). ``nfe`` reports the last solve's counts.
    """

    family = "autoncode"
    info = ModelInfo("AutoN-CODE", ())
    controlled = True

    def __init__(self, architecture: Architecture, latent_dim: int, solver: SolverConfig,
                 integration_time: float, row_norm: float, eval_seed: int = 0) -> None:
        super().__init__(architecture, latent_dim, 2 * latent_dim)
        self.row_norm = row_norm
        self.field = TwoPerRowLinearField(latent_dim)
        self.system = ControlledSystem(self.field)
        self.solver = solver
        self.integration_time = integration_time
        self.eval_seed = eval_seed

    def theta(self, images: Tensor) -> Tensor:
        """Normalised flat sparse theta ``(B, 2m)`` of images ``(B, C, H, W)``; see
        :meth:`TwoPerRowLinearField.dense` for the matrices."""
        return normalize_rows(self.encoder(images), self.latent_dim, self.row_norm)

    def initial_latent(self, batch: int, reference: Tensor) -> Tensor:
        """``x0 ~ N(0, I)``, ``(batch, m)``: a fresh draw in training; in evaluation a draw from
        a generator seeded with ``eval_seed``, so the same batch always gets the same code.
        Callers that need per-sample x0 independent of batching pass x0 explicitly."""
        shape = (batch, self.latent_dim)
        if self.training:
            return torch.randn(shape, dtype=reference.dtype, device=reference.device)
        generator = torch.Generator().manual_seed(self.eval_seed)
        return torch.randn(shape, generator=generator, dtype=reference.dtype).to(reference.device)

    def latent_trajectory(self, images: Tensor, times: Tensor, x0: Tensor | None = None) -> Tensor:
        """x(t) ``(T, B, m)`` at ``times (T,)`` (``times[0] = 0``) for images ``(B, C, H, W)``."""
        theta = self.theta(images)
        x0 = self.initial_latent(images.shape[0], theta) if x0 is None else x0
        return solve(self.system, (x0.to(theta.dtype), theta), times, self.solver)[0]

    def encode_outputs(self, images: Tensor, x0: Tensor | None) -> tuple[Tensor, Tensor | None]:
        times = torch.tensor([0.0, self.integration_time], dtype=images.dtype,
                             device=images.device)
        return self.latent_trajectory(images, times, x0)[-1], None

    @property
    def nfe(self) -> tuple[int, int]:
        """(forward, backward) function evaluations of the last solve / backward pass."""
        return self.system.nfe_forward, self.system.nfe_backward


AUTOENCODER_MODELS: tuple[type[Autoencoder], ...] = (AutoNCODE, PlainAutoencoder,
                                                     VariationalAutoencoder)
AUTOENCODER_FAMILIES: tuple[str, ...] = tuple(cls.family for cls in AUTOENCODER_MODELS)


def build_autoencoder(family: str, architecture: Architecture, solver: SolverConfig,
                      latent_dim: int | None = None, integration_time: float = 10.0,
                      row_norm: float = 0.3, eval_seed: int = 0) -> Autoencoder:
    """The model ``family`` (``autoncode``, ``ae``, ``vae``) on ``architecture`` with latent
    size ``latent_dim`` (default: the architecture's m); AutoN-CODE flows on [0,
    ``integration_time``] with theta's rows of norm ``row_norm``. Parameters come from torch's
    global RNG."""
    latent = architecture.latent_dim if latent_dim is None else latent_dim
    if family == AutoNCODE.family:
        return AutoNCODE(architecture, latent, solver, integration_time, row_norm, eval_seed)
    if family == PlainAutoencoder.family:
        return PlainAutoencoder(architecture, latent)
    if family == VariationalAutoencoder.family:
        return VariationalAutoencoder(architecture, latent)
    raise ValueError(f"unknown autoencoder family {family!r}; choose one of "
                     f"{AUTOENCODER_FAMILIES}")
