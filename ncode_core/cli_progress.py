"""Progress of long CLI commands on stderr: a tqdm bar on a terminal, plain lines otherwise.

stdout stays for results (with ``--json`` its last line is the JSON object), so progress never
mixes with what scripts parse. The library reports progress through :func:`ncode_core.fit`'s
callbacks; :class:`TrainingProgress` is the callback the CLI hands it.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Protocol, TextIO

from tqdm import tqdm


class ProgressReporter(Protocol):
    """Shows ``done`` of ``total`` units of one command with a few named numbers."""

    def update(self, done: int, numbers: dict[str, float]) -> None: ...

    def close(self) -> None: ...


def format_numbers(numbers: dict[str, float]) -> str:
    """``"train_loss=0.1234  test_accuracy=1"``: 4 significant digits each."""
    return "  ".join(f"{name}={value:.4g}" for name, value in numbers.items())


def terminal_width(stream: TextIO, fallback: int = 100) -> int:
    """Columns of the terminal behind ``stream``; ``fallback`` where it reports none (a fresh
    pseudo-terminal says 0 columns, which would draw an empty bar)."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return fallback
    return columns or fallback


class BarReporter:
    """A tqdm bar (rate, elapsed, ETA) with the latest value of each number as its postfix
    (test metrics stay shown between evaluations)."""

    def __init__(self, label: str, total: int, stream: TextIO, initial: int = 0) -> None:
        self.bar = tqdm(total=total, initial=initial, desc=label, unit="step", file=stream,
                        ncols=terminal_width(stream), leave=True)
        self.latest: dict[str, float] = {}

    def update(self, done: int, numbers: dict[str, float]) -> None:
        if numbers:
            self.latest.update(numbers)
            self.bar.set_postfix_str(format_numbers(self.latest), refresh=False)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        self.bar.close()


class LineReporter:
    """One line per ``every`` units and at the end: ``label done/total  name=value ...``.

    For logs and pipes, where a bar's carriage returns would pile up.
    """

    def __init__(self, label: str, total: int, stream: TextIO, every: int = 1) -> None:
        self.label, self.total, self.stream, self.every = label, total, stream, max(1, every)
        self.width = len(str(total))

    def update(self, done: int, numbers: dict[str, float]) -> None:
        if done % self.every and done != self.total:
            return
        line = f"{self.label} {done:>{self.width}}/{self.total}"
        self.stream.write(f"{line}  {format_numbers(numbers)}\n" if numbers else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        self.stream.flush()


def open_progress(label: str, total: int, every: int = 1, initial: int = 0,
                  stream: TextIO | None = None) -> ProgressReporter:
    """A :class:`BarReporter` when ``stream`` (default: stderr) is a terminal, else a
    :class:`LineReporter` writing every ``every`` units."""
    stream = sys.stderr if stream is None else stream
    if stream.isatty():
        return BarReporter(label, total, stream, initial)
    return LineReporter(label, total, stream, every)


class TrainingProgress:
    """:func:`ncode_core.fit` callback: each step's losses and evaluated metrics to a reporter.

    ``names`` are the metrics shown, in order, when a step carries them (evaluation steps
    carry the test metrics too).
    """

    def __init__(self, reporter: ProgressReporter, names: tuple[str, ...]) -> None:
        self.reporter, self.names = reporter, names

    def on_step(self, _trainer: Any, metrics: dict[str, Any]) -> None:
        shown = {name: float(metrics[name]) for name in self.names if name in metrics}
        self.reporter.update(int(metrics["step"]), shown)
