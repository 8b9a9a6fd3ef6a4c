"""What every CLI command shares: its user-error type and how it prints a report.

Kept apart from ``__main__`` so the command modules import it without importing the entry point
(which imports them).
"""

from __future__ import annotations

import json
import sys
from typing import Any


class CLIError(Exception):
    """A user-facing error: printed as one line on stderr, exit status 2."""


def emit(payload: dict[str, Any], as_json: bool, lines: list[str] | None = None) -> None:
    """Print human ``lines`` (or nothing) and, with ``--json``, the payload as the last line."""
    for line in lines or []:
        print(line)
    if as_json:
        print(json.dumps(payload, default=float, allow_nan=True))
    sys.stdout.flush()
