"""The live-training controller: a Trainer advanced in short time-boxed chunks. Pure (no st.*).

The lab keeps one :class:`LiveTraining` in ``st.session_state``; a fragment with ``run_every``
calls :meth:`LiveTraining.run_chunk` while the status is ``running``, and buttons call
:meth:`play`, :meth:`pause`, :meth:`step` and :meth:`reset` at any moment. A run that diverges
(non-finite loss or gradient) or whose solve fails stops itself: status ``failed`` with a message
for the user; :meth:`reset` rebuilds it.
"""

from __future__ import annotations

import csv
import io
import itertools
import logging
import math
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import ncode_core as nc

log = logging.getLogger(__name__)

IDLE, RUNNING, FAILED = "paused", "running", "failed"
TARGET_DUTY = 0.8  # adaptive chunks: fraction of wall time spent training
SHORTEST_CHUNK_S = 0.3
_SERIAL = itertools.count(1)


class LiveTraining:
    """Owns a :class:`ncode_core.Trainer` plus the history the dashboard plots.

    ``history`` holds one row per optimiser step (``step``, ``train_loss``, batch metrics, NFEs)
    and, on the step that ends each chunk, the held-out evaluation (``test_loss``, the task's
    metrics). ``status`` is ``paused``, ``running`` or ``failed``; ``error`` the failure message.

    ``lock`` serialises every use of the model: Streamlit can start a session's next script run
    in a new thread while an interrupted one is still inside a training chunk, and two steps
    interleaved on one model fail (an in-place optimiser update under the other's backward).
    Training, evaluation and loading take it here; whoever draws the model takes it too
    (``views.build_view``).
    """

    def __init__(self, config: dict[str, Any], label: str = "") -> None:
        self.raw_config = config
        self.label = label
        self.lock = threading.RLock()
        self.serial = next(_SERIAL)  # tells controllers apart (caches of their pictures)
        self.trainer = nc.Trainer(config, device="cpu")
        self.history: list[dict[str, Any]] = []
        self.evaluation: dict[str, Any] = {}
        self.status = IDLE
        self.error: str | None = None
        self.source = "new"  # "new" or the name of the pretrained checkpoint it started from
        self.train_seconds = 0.0  # time spent inside Trainer.step
        self.play_started: float | None = None
        self.play_steps = 0
        self.wall_rate = 0.0  # steps per wall second since Play, rendering included
        self.overhead_s: float | None = None  # smoothed time between two chunks
        self.last_chunk_end: float | None = None
        self.evaluate()

    # ----------------------------------------------------------------- properties
    @property
    def config(self) -> nc.RunConfig:
        return self.trainer.config

    @property
    def model(self) -> nc.TaskModel:
        return self.trainer.model

    @property
    def task(self):
        return self.trainer.task

    @property
    def steps(self) -> int:
        return self.trainer.step_count

    @property
    def train_rate(self) -> float:
        """Optimiser steps per second spent training (no rendering), over the whole run."""
        return len(self.history) / self.train_seconds if self.train_seconds > 0 else 0.0

    # ------------------------------------------------------------------ controls
    def play(self) -> None:
        """Start (or resume) chunked training; no-op after a failure (reset first)."""
        if self.status == FAILED:
            return
        self.status = RUNNING
        self.play_started, self.play_steps = time.perf_counter(), self.steps
        self.last_chunk_end = None

    def pause(self) -> None:
        """Stop after the current chunk (the fragment stops calling :meth:`run_chunk`)."""
        if self.status == RUNNING:
            self.status = IDLE

    def step(self, count: int = 1) -> int:
        """Exactly ``count`` optimiser steps now (then an evaluation); returns steps done."""
        if self.status == FAILED:
            return 0
        with self.lock:
            done = self._advance(max_steps=count, budget_s=math.inf)
            self.evaluate()
        return done

    def chunk_budget(self, longest_s: float) -> float:
        """Seconds of training for the next chunk: long enough that the time the page spends
        between chunks (evaluation, drawing, the browser's round trip; measured) is
        ``1 - TARGET_DUTY`` of the wall time, within ``[SHORTEST_CHUNK_S, longest_s]``. A fast
        page gets short, responsive chunks; a slow one longer chunks, up to ``longest_s``."""
        if self.overhead_s is None:
            return min(1.0, longest_s)
        wanted = self.overhead_s * TARGET_DUTY / (1 - TARGET_DUTY)
        return min(longest_s, max(SHORTEST_CHUNK_S, wanted))

    def run_chunk(self, budget_s: float | None = None, longest_s: float = 2.0,
                  max_steps: int = 10_000) -> int:
        """Train for ``budget_s`` seconds (default: :meth:`chunk_budget`; at least one step),
        evaluate, update the rates."""
        if self.status != RUNNING:
            return 0
        started = time.perf_counter()
        if self.last_chunk_end is not None and started - self.last_chunk_end < 10:
            gap = started - self.last_chunk_end
            self.overhead_s = gap if self.overhead_s is None else 0.7 * self.overhead_s + 0.3 * gap
        budget = self.chunk_budget(longest_s) if budget_s is None else budget_s
        with self.lock:
            done = self._advance(max_steps=max_steps, budget_s=budget)
            self.last_chunk_end = time.perf_counter()
            self.evaluate()
        if self.play_started is not None:
            elapsed = time.perf_counter() - self.play_started
            self.wall_rate = (self.steps - self.play_steps) / elapsed if elapsed > 0 else 0.0
        return done

    def load(self, payload: dict[str, Any], name: str) -> None:
        """Replace the weights with a loaded checkpoint's (``ncode_core.load_checkpoint``)."""
        with self.lock:
            self.trainer.load_state_dict(nc.trainer_state_from_checkpoint(payload))
            self.source = name
            self.history.clear()
            self.evaluate()

    # ------------------------------------------------------------------ internals
    def _advance(self, max_steps: int, budget_s: float) -> int:
        started = time.perf_counter()
        done = 0
        while done < max_steps:
            step_started = time.perf_counter()
            try:
                metrics = self.trainer.step()
            except (nc.DivergenceError, nc.SolverError) as error:
                self._fail(str(error))
                break
            except Exception as error:  # any other failure stops the run, never the page
                log.exception("training step failed")
                self._fail(f"{type(error).__name__}: {error}")
                break
            self.train_seconds += time.perf_counter() - step_started
            self.history.append(metrics)
            done += 1
            if time.perf_counter() - started >= budget_s:
                break
        return done

    def _fail(self, message: str) -> None:
        self.status = FAILED
        self.error = (f"{message}. Training stopped; lower the learning rate, tighten the "
                      "tolerance or pick another solver, then press Reset.")

    def evaluate(self) -> dict[str, Any]:
        """Held-out metrics now; stored in ``evaluation`` and on the last history row."""
        if self.status == FAILED:
            return self.evaluation
        try:
            with self.lock:
                self.evaluation = self.trainer.evaluate()
        except (nc.SolverError, RuntimeError) as error:
            self._fail(f"evaluation failed: {error}")
            return self.evaluation
        if self.history:
            self.history[-1].update(self.evaluation)
        return self.evaluation

    # ------------------------------------------------------------------ exports
    def metrics_csv(self) -> str:
        """The history as CSV text: one row per step, columns the union of all keys."""
        columns: list[str] = []
        for row in self.history:
            columns += [key for key in row if key not in columns]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns or ["step"])
        writer.writeheader()
        writer.writerows(self.history)
        return buffer.getvalue()

    def checkpoint_bytes(self) -> bytes:
        """A checkpoint file (``ncode_core.save_checkpoint`` format) that ``python -m ncode_core
        eval --checkpoint`` accepts."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "lab.pt"
            nc.save_checkpoint(path, self.trainer.state_dict(), self.evaluation)
            return path.read_bytes()
