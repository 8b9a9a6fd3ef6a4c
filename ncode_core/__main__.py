"""Command-line interface: ``python -m ncode_core {list,train,eval,data,...}``.

Every command that reports accepts ``--json``: its last stdout line is then one JSON object.
Bad input exits with status 2 and a one-line error on stderr, and writes nothing.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, Callable

from ncode_core.checkpoint import CheckpointError
from ncode_core.cli_output import CLIError
from ncode_core.config import ConfigError, shorten
from ncode_core.data import DataError
from ncode_core.integrate import SolverError
from ncode_core.training import DivergenceError

USER_ERRORS = (ConfigError, CheckpointError, DataError, FileNotFoundError, PermissionError)
RUN_ERRORS = (SolverError, DivergenceError)


def _command_modules() -> list[Any]:
    """Modules that add sub-commands: each has ``register(subparsers)``."""
    from ncode_core import cli_data, cli_train

    modules: list[Any] = [cli_train, cli_data]
    try:
        from ncode_core.jobs import cli as jobs_cli
    except ImportError:
        return modules
    return modules + [jobs_cli]


class Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as one line (CLIError) instead of usage + exit."""

    def error(self, message: str):  # type: ignore[override]
        raise CLIError(f"{self.prog}: {message}")


def build_parser() -> Parser:
    """The full parser; each sub-parser sets ``handler`` (args -> exit code)."""
    parser = Parser(prog="python -m ncode_core", description=__doc__,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in _command_modules():
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        args = build_parser().parse_args(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except (CLIError, *USER_ERRORS) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except RUN_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # disk full, read-only folder, ...: one line, no traceback
        from ncode_core.jobs.database import describe_failure

        print(f"error: {shorten(describe_failure(error), 300)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
