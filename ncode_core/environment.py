"""Numbers read from environment variables, checked like any other configuration value.

An operator's typo (``NCODE_THREADS=two``) must end in one line naming the variable, the value and
what is allowed, never in a traceback from ``int()`` deep inside a worker.
"""

from __future__ import annotations

import math
import os

from ncode_core.config import ConfigError, shorten


def env_number(name: str, default: float, *, integer: bool = False,
               minimum: float | None = None, strictly_above: float | None = None) -> float:
    """``$name`` as a number (``default`` when unset or empty).

    ``integer``: only whole numbers are allowed (the result is an ``int``); ``minimum``:
    smallest value allowed; ``strictly_above``: the value must exceed it.

    Raises:
        ConfigError: not a finite number, not whole when ``integer``, or out of range.
    """
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    kind = "an integer" if integer else "a number"
    rule = (f" >= {minimum:g}" if minimum is not None else
            f" > {strictly_above:g}" if strictly_above is not None else "")
    try:
        value: float = int(text) if integer else float(text)
    except ValueError:
        value = math.nan
    if (not math.isfinite(value) or (minimum is not None and value < minimum)
            or (strictly_above is not None and value <= strictly_above)):
        raise ConfigError(f"environment variable {name}: expected {kind}{rule} "
                          f"(got {shorten(text)!r})")
    return value
