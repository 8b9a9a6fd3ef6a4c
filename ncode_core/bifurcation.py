"""Equilibria of vector fields and their continuation along a parameter: bifurcation analysis.

The paper's claim for open-loop N-CODE is that classes are separated by a bifurcation of the
field ``f(x; theta)`` as x(0), and with it ``theta(0) = gamma(x(0))``, crosses the class boundary.
This module finds that bifurcation in arrays (no plotting):

- :func:`find_equilibria`: the zeros of one field, by batched Newton from a grid of starts,
  de-duplicated and classified from the Jacobian's eigenvalues.
- :func:`continue_equilibria`: the equilibria of a one-parameter family of fields at many
  parameter values at once, tracked into branches, with the parameter values where their number
  or stability changes located by repeated subdivision and named (saddle-node, pitchfork,
  Hopf, ...).
- :func:`line_field_family`: the family a model defines when x(0) moves along a segment.

A *field* here is a callable on a batch of points. Batched Newton differentiates the summed
output by x, so row n of the output must depend on row n of the input only (true of every
vector field evaluated pointwise, and of every field in ``ncode_core``).
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from ncode_core.models.base import FlowModel, TaskModel
from ncode_core.viz import sample_context

log = logging.getLogger(__name__)

BatchedField = Callable[[Tensor, Tensor], Tensor]
"""S fields at once: ``(x (M, D), which (M,)) -> dx/dt (M, D)``, row m of field ``which[m]``."""

FieldFamily = Callable[[Tensor], BatchedField]
"""A one-parameter family: ``parameters (S,) -> BatchedField`` of the S fields they select."""

STABLE_KINDS = ("stable", "stable node", "stable focus")
DEGENERATE_KINDS = ("centre", "non-hyperbolic")
EQUILIBRIUM_KINDS = ("stable", "unstable", "stable node", "unstable node", "stable focus",
                     "unstable focus", "saddle", "centre", "non-hyperbolic")
EVENT_KINDS = ("saddle-node", "pitchfork", "hopf", "stability change", "boundary", "other")
"""``stability change``: same number of equilibria, a real eigenvalue crosses zero (e.g.
transcritical); ``boundary``: an odd change of the count, an equilibrium entering or leaving the
search box; ``other``: any other change of the count."""


@dataclass(frozen=True)
class NewtonSettings:
    """Batched Newton iteration.

    ``iterations``: most Newton steps; a point has converged when |f| < ``residual_tol`` and
    its Newton step is below 1 % of the merge distance; one whose residual has not halved
    within ``patience`` steps is given up;
    ``merge_tol``: zeros closer than this fraction of the search box are one equilibrium;
    ``zero_tol``: eigenvalue real parts within this of 0 (relative to the largest eigenvalue
    when that exceeds 1) are "zero" (centre / non-hyperbolic): Newton pins a double zero only
    to ~1e-7, so its eigenvalue is ~1e-7 rather than 0.
    """

    iterations: int = 80
    patience: int = 8
    residual_tol: float = 1e-10
    merge_tol: float = 1e-6
    zero_tol: float = 1e-6

    def __post_init__(self) -> None:
        for name in ("iterations", "patience"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"{name}={value!r}: must be an integer >= 1")
        for name in ("residual_tol", "merge_tol", "zero_tol"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value > 0):
                raise ValueError(f"{name}={value!r}: must be a number > 0")


@dataclass(frozen=True)
class Equilibria:
    """The equilibria of one field: ``points (E, D)``, ``eigenvalues (E, D)`` complex (of the
    Jacobian at each point, sorted by real then imaginary part), ``unstable_dims (E,)`` the
    number of eigenvalues with positive real part, ``kinds`` (E names from
    :data:`EQUILIBRIUM_KINDS`)."""

    points: np.ndarray
    eigenvalues: np.ndarray
    unstable_dims: np.ndarray
    kinds: tuple[str, ...]

    @property
    def stable(self) -> np.ndarray:
        """``(E,)`` bool: every eigenvalue has a negative real part."""
        return np.array([kind in STABLE_KINDS for kind in self.kinds], dtype=bool)

    @property
    def degenerate(self) -> bool:
        """Whether an equilibrium has an eigenvalue on the imaginary axis: the field sits on
        a bifurcation, where counting and classifying equilibria says nothing reliable."""
        return any(kind in DEGENERATE_KINDS for kind in self.kinds)

    @property
    def signature(self) -> tuple[int, ...]:
        """Sorted unstable dimensions: equal signatures mean no bifurcation in between."""
        return tuple(sorted(int(k) for k in self.unstable_dims))


@dataclass(frozen=True)
class BifurcationEvent:
    """Where the equilibria change: ``position`` (the parameter value, located to within
    ``bracket``, a ``(low, high)`` pair), ``kind`` (from :data:`EVENT_KINDS`) and ``point
    (D,)``, the mean of the equilibria that appear, vanish or change stability there."""

    position: float
    kind: str
    point: np.ndarray
    bracket: tuple[float, float]


@dataclass(frozen=True)
class Continuation:
    """Equilibria along a parameter: ``positions (S,)``; ``equilibria`` (S :class:`Equilibria`);
    ``branches (B, S, D)`` the same equilibrium followed across positions (NaN where a branch
    does not exist); ``branch_stable (B, S)`` bool; ``events`` sorted by position."""

    positions: np.ndarray
    equilibria: tuple[Equilibria, ...]
    branches: np.ndarray
    branch_stable: np.ndarray
    events: tuple[BifurcationEvent, ...]


def grid_starts(low, high, per_side: int) -> np.ndarray:
    """Newton starts on a regular grid of the box ``[low, high]`` (each ``(D,)``):
    ``(per_side ** D, D)``."""
    low, high = np.atleast_1d(np.asarray(low, float)), np.atleast_1d(np.asarray(high, float))
    if per_side < 1:
        raise ValueError(f"per_side={per_side!r}: must be an integer >= 1")
    axes = [np.linspace(a, b, per_side) for a, b in zip(low, high)]
    return np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], axis=1)


def jacobians(field: BatchedField, x: Tensor, which: Tensor) -> tuple[Tensor, Tensor]:
    """Values ``(M, D)`` and Jacobians ``(M, D, D)`` (``J[m, i, j] = df_i / dx_j``) of a
    batched field at ``x (M, D)``, row m in field ``which[m]``: one backward pass per output
    dimension."""
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        values = field(x, which)
        rows = [torch.autograd.grad(values[:, i].sum(), x, retain_graph=i < x.shape[-1] - 1)[0]
                for i in range(x.shape[-1])]
    return values.detach(), torch.stack(rows, dim=-2)


def _newton(field: BatchedField, starts: Tensor, low: Tensor, high: Tensor,
            settings: NewtonSettings) -> tuple[Tensor, Tensor]:
    """Batched Newton from ``starts (S, N, D)`` (NaN rows are padding; row s belongs to field
    s). Returns the points ``(S, N, D)`` and a ``(S, N)`` mask of those that converged inside
    the box ``[low, high]``. Only the points still iterating are evaluated at each step."""
    count, n, dim = starts.shape
    x = starts.reshape(count * n, dim).clone()
    which = torch.arange(count, device=x.device).repeat_interleave(n)
    active = torch.isfinite(x).all(dim=-1)
    x[~active] = 0.0
    scale = float((high - low).max())
    eye = torch.eye(dim, dtype=x.dtype, device=x.device)
    margin = 0.5 * (high - low)
    step_tol = settings.merge_tol * scale * 1e-2
    converged = torch.zeros_like(active)
    best = torch.full(active.shape, float("inf"), dtype=x.dtype, device=x.device)
    last_progress = torch.zeros(active.shape, dtype=torch.long, device=x.device)
    for iteration in range(settings.iterations):
        index = active.nonzero().squeeze(1)
        if index.numel() == 0:
            break
        here = x[index]
        values, jac = jacobians(field, here, which[index])
        residual = values.norm(dim=-1)
        # Levenberg-Marquardt with a vanishing damping: Newton's step where J is regular and a
        # least-squares step where it is (nearly) singular, as at a saddle-node.
        jt = jac.transpose(-1, -2)
        normal = jt @ jac
        damping = 1e-14 * normal.diagonal(dim1=-2, dim2=-1).sum(-1).clamp_min(1e-30)
        step = torch.linalg.solve(normal + damping[:, None, None] * eye,
                                  jt @ values.unsqueeze(-1)).squeeze(-1)
        length = step.norm(dim=-1)
        # A small residual alone is not convergence: near a degenerate zero (|f| ~ |x - x*|^3
        # at a pitchfork) it is reached far from the zero, so the step must be small too.
        done = (residual <= settings.residual_tol) & (length <= step_tol)
        # Near a zero, even a triple one, Newton cuts the residual by >= 3x per step; a point
        # whose residual has not halved within `patience` steps wanders where there is none.
        improved = residual < 0.5 * best[index]
        best[index] = torch.where(improved, residual, best[index])
        last_progress[index] = torch.where(improved, iteration, last_progress[index])
        stalled = iteration - last_progress[index] > settings.patience
        step = step * (0.25 * scale / length.unsqueeze(-1)).clamp(max=1.0)  # no jumps across
        moved = torch.nan_to_num(here - step)
        left_box = ~((moved >= low - margin) & (moved <= high + margin)).all(-1)
        converged[index] = done
        x[index] = torch.where(done.unsqueeze(-1), here, moved)
        active[index] = ~done & ~stalled & ~left_box
    inside = ((x >= low) & (x <= high)).all(-1)
    return x.reshape(count, n, dim), (converged & inside).reshape(count, n)


def _unique(points: Tensor, valid: Tensor, radius: float) -> Tensor:
    """Mask ``(S, N)`` keeping the first valid point of every cluster closer than ``radius``."""
    distance = torch.cdist(points, points)
    n = points.shape[1]
    earlier = torch.ones(n, n, dtype=torch.bool, device=points.device).tril(-1)
    duplicate = ((distance < radius) & earlier & valid.unsqueeze(1)).any(-1)
    return valid & ~duplicate


def classify(eigenvalues: np.ndarray, zero_tol: float) -> tuple[np.ndarray, tuple[str, ...]]:
    """Unstable dimensions ``(E,)`` and kinds of equilibria with ``eigenvalues (E, D)``.

    1-D: stable / unstable / non-hyperbolic. D >= 2: saddle (real parts of both signs), centre
    (purely imaginary pair, no unstable direction), non-hyperbolic (a real zero eigenvalue),
    else stable / unstable node or focus (focus when an eigenvalue is complex).
    """
    real, imag = eigenvalues.real, eigenvalues.imag
    tol = zero_tol * np.maximum(1.0, np.abs(eigenvalues).max(axis=-1, initial=0.0))[:, None]
    positive, negative = real > tol, real < -tol
    zero, oscillating = ~positive & ~negative, np.abs(imag) > tol
    kinds = []
    for e in range(eigenvalues.shape[0]):
        if positive[e].any() and negative[e].any():
            kinds.append("saddle")
        elif zero[e].any():
            pure_imaginary = not positive[e].any() and oscillating[e][zero[e]].all()
            kinds.append("centre" if pure_imaginary else "non-hyperbolic")
        elif eigenvalues.shape[1] == 1:
            kinds.append("stable" if negative[e].all() else "unstable")
        else:
            side = "stable" if negative[e].all() else "unstable"
            kinds.append(f"{side} {'focus' if oscillating[e].any() else 'node'}")
    return positive.sum(axis=-1), tuple(kinds)


def _solve(family: FieldFamily, parameters: np.ndarray, starts: np.ndarray, low: np.ndarray,
           high: np.ndarray, settings: NewtonSettings) -> list[Equilibria]:
    """Equilibria of the S fields ``family(parameters)`` from ``starts (S, N, D)`` (or
    ``(N, D)`` shared): one batched Newton run."""
    options = {"dtype": torch.float64}
    field = family(torch.as_tensor(parameters, **options))
    start = torch.as_tensor(starts, **options)
    if start.dim() == 2:
        start = start.expand(len(parameters), *start.shape)
    low_t, high_t = torch.as_tensor(low, **options), torch.as_tensor(high, **options)
    points, ok = _newton(field, start, low_t, high_t, settings)
    keep = _unique(points, ok, settings.merge_tol * float((high_t - low_t).max()))
    which, column = keep.nonzero(as_tuple=True)
    _, jac = jacobians(field, points[which, column], which)
    eigenvalues = np.full(points.shape, np.nan, dtype=complex)
    eigenvalues[which.numpy(), column.numpy()] = torch.linalg.eigvals(jac).numpy()
    points_np, keep_np = points.numpy(), keep.numpy()
    result = []
    for s in range(len(parameters)):
        chosen = np.where(keep_np[s])[0]
        order = chosen[np.lexsort(points_np[s, chosen].T[::-1])] if chosen.size else chosen
        values = np.sort_complex(eigenvalues[s, order])  # by real part, then imaginary part
        unstable, kinds = classify(values, settings.zero_tol)
        result.append(Equilibria(points_np[s, order], values, unstable, kinds))
    return result


def find_equilibria(field: Callable[[Tensor], Tensor], starts,
                    settings: NewtonSettings = NewtonSettings()) -> Equilibria:
    """Equilibria of one field ``x (N, D) -> (N, D)`` reached by Newton from ``starts (N, D)``
    (see :func:`grid_starts`) inside the starts' bounding box, in float64."""
    starts = np.asarray(starts, dtype=np.float64)
    low, high = starts.min(axis=0), starts.max(axis=0)
    return _solve(lambda _: lambda x, which: field(x), np.zeros(1), starts, low, high,
                  settings)[0]


def _match(a: np.ndarray, b: np.ndarray, radius: float) -> list[tuple[int, int]]:
    """Pairs (i, j) of ``a (I, D)`` and ``b (J, D)`` assigned by least total distance, closer
    than ``radius``."""
    if len(a) == 0 or len(b) == 0:
        return []
    distance = np.linalg.norm(a[:, None] - b[None], axis=-1)
    rows, cols = linear_sum_assignment(distance)
    return [(i, j) for i, j in zip(rows, cols) if distance[i, j] < radius]


def _branches(equilibria: list[Equilibria], radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Follow equilibria across consecutive positions: ``(B, S, D)`` points, ``(B, S)`` stable."""
    count = len(equilibria)
    dim = equilibria[0].points.shape[1]
    tracks: list[dict[int, int]] = []  # branch -> {position: index of the equilibrium}
    open_tracks: dict[int, int] = {}  # index at the previous position -> branch
    for s, here in enumerate(equilibria):
        previous = equilibria[s - 1].points if s else np.empty((0, dim))
        pairs = dict((j, i) for i, j in _match(previous, here.points, radius))
        current = {}
        for j in range(len(here.points)):
            branch = open_tracks.get(pairs[j]) if j in pairs else None
            if branch is None:
                branch = len(tracks)
                tracks.append({})
            tracks[branch][s] = j
            current[j] = branch
        open_tracks = current
    points = np.full((len(tracks), count, dim), np.nan)
    stable = np.zeros((len(tracks), count), dtype=bool)
    for b, track in enumerate(tracks):
        for s, j in track.items():
            points[b, s] = equilibria[s].points[j]
            stable[b, s] = equilibria[s].stable[j]
    return points, stable


def _oscillates(eigenvalues: np.ndarray) -> bool:
    """Whether a Jacobian's eigenvalues ``(D,)`` include a complex pair."""
    return bool((np.abs(eigenvalues.imag) > 1e-9 * (1 + np.abs(eigenvalues))).any())


def _compare(left: Equilibria, right: Equilibria,
             radius: float) -> tuple[list[tuple[int, int]], list[np.ndarray]]:
    """Equilibria of two nearby fields matched by position: the pairs ``(i, j)`` whose
    stability differs, and the points of those that appear, vanish or change kind (a
    degenerate one, met at the end of a narrowed bracket, has not changed stability yet)."""
    pairs = _match(left.points, right.points, radius)
    changed = [(i, j) for i, j in pairs if left.unstable_dims[i] != right.unstable_dims[j]]
    matched_left, matched_right = {i for i, _ in pairs}, {j for _, j in pairs}
    involved = ([left.points[i] for i in range(len(left.points)) if i not in matched_left]
                + [right.points[j] for j in range(len(right.points)) if j not in matched_right]
                + [right.points[j] for i, j in pairs if left.kinds[i] != right.kinds[j]])
    return changed, involved


def _event_kind(left: Equilibria, right: Equilibria, radius: float) -> str:
    """Name the change between the equilibria on either side of an event (see EVENT_KINDS)."""
    changed, _ = _compare(left, right, radius)
    step = abs(len(right.points) - len(left.points))
    if step == 0 and changed:
        oscillating = any(_oscillates(left.eigenvalues[i]) or _oscillates(right.eigenvalues[j])
                          for i, j in changed)
        return "hopf" if oscillating else "stability change"
    if step == 2:
        return "pitchfork" if changed else "saddle-node"
    return "boundary" if step % 2 == 1 else "other"


def continue_equilibria(family: FieldFamily, positions, starts,
                        settings: NewtonSettings = NewtonSettings(),
                        precision: float = 1e-6) -> Continuation:
    """Equilibria of ``family(p)`` for every ``p`` in ``positions (S,)`` (increasing), tracked
    into branches, and the bifurcations between consecutive positions.

    Newton starts from ``starts (N, D)`` at every position, then once more from the equilibria
    found at the neighbouring positions (the continuation's predictor). Wherever the
    :attr:`Equilibria.signature` differs between neighbours (positions whose field is
    :attr:`~Equilibria.degenerate` are skipped), the change is located by subdivision
    to within ``precision`` (in parameter units) and named by :func:`_event_kind`. The search box is
    the bounding box of ``starts``: an equilibrium crossing its edge is a ``boundary`` event.
    """
    positions = np.asarray(positions, dtype=np.float64)
    starts = np.asarray(starts, dtype=np.float64)
    if positions.ndim != 1 or len(positions) < 2 or np.any(np.diff(positions) <= 0):
        raise ValueError("positions: must be a 1-D increasing array of at least 2 values")
    low, high = starts.min(axis=0), starts.max(axis=0)
    radius = 0.1 * float(np.linalg.norm(high - low))
    found = _solve(family, positions, starts, low, high, settings)
    neighbours = [np.concatenate([found[k].points for k in (s - 1, s + 1) if 0 <= k < len(found)])
                  for s in range(len(found))]
    again = _solve(family, positions, _padded(neighbours, starts.shape[1]), low, high, settings)
    found = [_merged(a, b, settings.merge_tol * float(np.max(high - low)))
             for a, b in zip(found, again)]
    branches, stable = _branches(found, radius)
    # A position that happens to sit on a bifurcation is skipped: its neighbours bracket it.
    regular = [s for s in range(len(found)) if not found[s].degenerate]
    changes = [(i, j) for i, j in zip(regular, regular[1:])
               if found[i].signature != found[j].signature]
    events = _locate(family, positions, found, changes, starts, low, high, settings, precision,
                     radius)
    return Continuation(positions, tuple(found), branches, stable, tuple(events))


def _padded(point_sets: list[np.ndarray], dim: int) -> np.ndarray:
    """Stack ragged ``(N_s, D)`` start sets into ``(S, max N_s, D)``, NaN-padded (skipped)."""
    width = max(1, max(len(p) for p in point_sets))
    out = np.full((len(point_sets), width, dim), np.nan)
    for s, p in enumerate(point_sets):
        out[s, : len(p)] = p
    return out


def _merged(first: Equilibria, second: Equilibria, radius: float) -> Equilibria:
    """Union of two Equilibria of the same field, without duplicates."""
    extra = [j for j in range(len(second.points))
             if len(first.points) == 0
             or np.linalg.norm(first.points - second.points[j], axis=-1).min() >= radius]
    if not extra:
        return first
    points = np.concatenate([first.points, second.points[extra]])
    order = np.lexsort(points.T[::-1])
    kinds = first.kinds + tuple(second.kinds[j] for j in extra)
    return Equilibria(points[order],
                      np.concatenate([first.eigenvalues, second.eigenvalues[extra]])[order],
                      np.concatenate([first.unstable_dims, second.unstable_dims[extra]])[order],
                      tuple(kinds[k] for k in order))


def _locate(family: FieldFamily, positions: np.ndarray, found: list[Equilibria],
            changes: list[tuple[int, int]], starts: np.ndarray, low: np.ndarray,
            high: np.ndarray, settings: NewtonSettings, precision: float, radius: float,
            splits: int = 15) -> list[BifurcationEvent]:
    """Narrow every bracket ``[positions[i], positions[j]]`` of ``changes`` below
    ``precision`` and name each event from the equilibria at its ends.

    Each round solves ``splits`` interior points of every bracket in one batched Newton run
    (seeded with a coarse grid and the equilibria at both ends) and keeps the sub-bracket where
    the signature first differs from the left end's (a degenerate field counts as different:
    it sits on the event): the width shrinks ``splits + 1`` times per run, where plain
    bisection would need four runs for the same.
    """
    if not changes:
        return []
    dim = starts.shape[1]
    coarse = grid_starts(low, high, max(2, round(len(starts) ** (1 / dim) / 2)))
    lo = positions[[i for i, _ in changes]]
    hi = positions[[j for _, j in changes]]
    left = [found[i] for i, _ in changes]
    right = [found[j] for _, j in changes]
    fractions = np.arange(1, splits + 1) / (splits + 1)
    while np.max(hi - lo) > precision:
        inner = lo[:, None] + (hi - lo)[:, None] * fractions[None]  # (events, splits)
        seeds = [np.concatenate([coarse, a.points, b.points]) for a, b in zip(left, right)]
        solved = _solve(family, inner.ravel(), _padded(seeds, dim).repeat(splits, axis=0),
                        low, high, settings)
        for k in range(len(changes)):
            row = solved[k * splits:(k + 1) * splits]
            differs = [j for j, here in enumerate(row)
                       if here.degenerate or here.signature != left[k].signature]
            first = differs[0] if differs else splits
            if first > 0:
                lo[k], left[k] = inner[k, first - 1], row[first - 1]
            if first < splits:
                hi[k], right[k] = inner[k, first], row[first]
    events = []
    for k, (i, j) in enumerate(changes):
        # The kind is read at the grid positions, away from the event: at the ends of the
        # narrowed bracket the equilibria are nearly degenerate (two roots 1e-3 apart, or one
        # double root found where f only grazes zero), and counting them is fragile there.
        _, involved = _compare(left[k], right[k], radius)
        point = np.mean(involved, axis=0) if involved else np.full(dim, np.nan)
        events.append(BifurcationEvent(float(0.5 * (lo[k] + hi[k])),
                                       _event_kind(found[i], found[j], radius), point,
                                       (float(lo[k]), float(hi[k]))))
    log.debug("continuation: %d events", len(events))
    return events


def line_field_family(model: TaskModel | FlowModel, start, end, t: float = 0.0) -> FieldFamily:
    """The family of fields a model gives x(0) on the segment ``start (d,)`` -> ``end (d,)``.

    Parameter p in [0, 1] selects ``x(0) = start + p (end - start)`` and its field at time t:
    ``f(x; theta)`` with ``theta(0) = gamma(x(0))`` for open-loop N-CODE (closed loop: theta(t)
    on that sample's trajectory), the x(0)-conditioned field for NODE-DC, the one shared field
    for NODE / ANODE. The field acts on the ODE state ``(D,)`` (ANODE: with its augmented
    coordinates). Evaluated in float64 on a copy of the model, which is left untouched.
    """
    flow = model.flow if isinstance(model, TaskModel) else model
    flow = copy.deepcopy(flow).to(torch.float64).requires_grad_(False)
    start_np, end_np = np.asarray(start, np.float64), np.asarray(end, np.float64)

    def family(parameters: Tensor) -> BatchedField:
        points = start_np[None] + parameters.numpy()[:, None] * (end_np - start_np)[None]
        context = sample_context(flow, points, t)

        def field(x: Tensor, which: Tensor) -> Tensor:
            device = context[0].device if context else next(flow.parameters()).device
            which = which.to(device)
            values = flow.field_at(t, x.to(device), tuple(c[which] for c in context))
            return values.to(x.device)  # Newton runs on the CPU; the model stays where it is

        return field

    return family


def _state_starts(model: TaskModel | FlowModel, data_dim: int, half_width: float,
                  per_side: int | None) -> np.ndarray:
    """Newton starts on a grid of ``[-half_width, half_width]^D`` in the model's ODE state
    (``D`` includes ANODE's augmented coordinates): ``(per_side ** D, D)``; ``per_side=None``
    keeps about 64 starts whatever D (8 per axis in the plane, 3 in 4-D): the continuation
    also starts from the neighbouring positions' equilibria, so a coarse grid suffices."""
    flow = model.flow if isinstance(model, TaskModel) else model
    probe = torch.zeros(1, data_dim, dtype=next(flow.parameters()).dtype)
    dim = flow.initial_state(probe)[0].shape[1]
    per_side = max(3, round(64 ** (1 / dim))) if per_side is None else per_side
    return grid_starts(np.full(dim, -half_width), np.full(dim, half_width), per_side)


def sample_equilibria(model: TaskModel | FlowModel, x0, half_width: float = 2.0,
                      per_side: int | None = None, t: float = 0.0,
                      settings: NewtonSettings = NewtonSettings()) -> Equilibria:
    """Equilibria of the field the sample ``x0 (d,)`` sees at time t (see
    :func:`line_field_family`), searched on the box ``[-half_width, half_width]^D``."""
    field = line_field_family(model, x0, x0, t)(torch.zeros(1, dtype=torch.float64))
    starts = _state_starts(model, len(np.atleast_1d(x0)), half_width, per_side)
    return find_equilibria(lambda x: field(x, torch.zeros(len(x), dtype=torch.long)), starts,
                           settings)


def equilibria_along_line(model: TaskModel | FlowModel, start, end, count: int = 100,
                          half_width: float = 2.0, per_side: int | None = None,
                          t: float = 0.0,
                          settings: NewtonSettings = NewtonSettings(),
                          precision: float = 1e-4) -> Continuation:
    """:func:`continue_equilibria` of :func:`line_field_family` at ``count`` positions in
    [0, 1] (events located to within ``precision`` of the line's length), Newton started on a
    ``per_side``-per-axis grid (default: about 64 starts) of the box ``[-half_width,
    half_width]^D`` of the ODE state."""
    if count < 2:
        raise ValueError(f"count={count!r}: must be an integer >= 2")
    starts = _state_starts(model, len(np.atleast_1d(start)), half_width, per_side)
    return continue_equilibria(line_field_family(model, start, end, t),
                               np.linspace(0.0, 1.0, count), starts, settings, precision)
