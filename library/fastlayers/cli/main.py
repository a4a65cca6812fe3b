"""The `fastlayers` command: one entry point, one sub-command per job.

Exit codes scripts can rely on:
  0  success (for `check`: every graded check passed)
  1  the command ran but found problems (failed checks, unverifiable files, ...)
  2  the command line itself was wrong (unknown sub-command, bad argument)
  3  a required resource is missing (dataset not found anywhere, notebook folder missing, ...)
"""
from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_MISSING = 0, 1, 2, 3


class CommandError(Exception):
    """An error meant for the person at the terminal: printed without a traceback."""

    def __init__(self, message: str, code: int = EXIT_PROBLEMS):
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    """Assemble the parser from the sub-command modules (each adds its own sub-commands)."""
    from fastlayers import __version__
    from fastlayers.cli import commands

    parser = argparse.ArgumentParser(
        prog="fastlayers",
        description="fastlayers: rebuild a fastai-style deep-learning library layer by layer, and grade your exercises.",
    )
    parser.add_argument("--version", action="version", version=f"fastlayers {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in commands.REGISTRARS:
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (also used by the console script)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_USAGE if args.command is None else EXIT_OK
    try:
        return int(args.run(args) or EXIT_OK)
    except CommandError as err:
        print(f"fastlayers: error: {err}", file=sys.stderr)
        return err.code
    except KeyboardInterrupt:
        print("fastlayers: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
