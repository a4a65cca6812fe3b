"""The list of sub-command modules; each module's `register(subparsers)` adds its commands."""
from __future__ import annotations

REGISTRARS = []


def _collect() -> None:
    # Imported here (not at the top of main) so `fastlayers --help` stays fast.
    from fastlayers.cli import data_cmd, lab_cmd, lessons_cmd

    REGISTRARS.extend([data_cmd.register, lessons_cmd.register, lab_cmd.register])
    try:
        from fastlayers.cli import grade_cmd
    except ImportError:  # grading commands not built yet
        return
    REGISTRARS.append(grade_cmd.register)


_collect()
