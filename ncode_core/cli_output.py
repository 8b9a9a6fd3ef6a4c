"""What every CLI command shares: its user-error type and how it prints a report.

Kept apart from ``__main__`` so the command modules import it without importing the entry point
(which imports them).
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any


class CLIError(Exception):
    """A user-facing error: printed as one line on stderr, exit status 2."""


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by None (JSON has no such numbers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def emit(payload: dict[str, Any], as_json: bool, lines: list[str] | None = None) -> None:
    """Print human ``lines`` (or nothing) and, with ``--json``, the payload as the last line
    (strict JSON: a NaN metric, e.g. of a 0-step run, is ``null``)."""
    for line in lines or []:
        print(line)
    if as_json:
        encoded = json.loads(json.dumps(payload, default=float))  # numpy/torch scalars -> float
        print(json.dumps(json_safe(encoded), allow_nan=False))
    sys.stdout.flush()
