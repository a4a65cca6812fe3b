"""`fastlayers lab`: JupyterLab for the course, with nbgrader's instructor tools hidden unless asked for.

Command-line infrastructure, not lesson material. nbgrader installs its instructor tools (Formgrader, Create
Assignment, Course List) for everyone; students use only the assignment list and Validate. This command starts
`jupyter lab` with a configuration folder (shipped with the package) first on JUPYTER_CONFIG_PATH that turns
the instructor tools off; `--instructor` starts it without that folder, so they are all there.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from fastlayers.cli.main import EXIT_OK

STUDENT_CONFIG = Path(__file__).parent / "jupyter_student"
INSTRUCTOR_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                      "@jupyter/nbgrader:course-list")
QUIET_PLUGINS = ("@jupyterlab/apputils-extension:announcements",)  # no "get news?" prompt in class


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lab", help="start JupyterLab for the course (students' view; --instructor for nbgrader's tools)")
    p.add_argument("--instructor", action="store_true", help="also show nbgrader's instructor tools")
    p.add_argument("jupyter_args", nargs=argparse.REMAINDER, help="passed on to `jupyter lab` (after --)")
    p.set_defaults(run=run_lab)


def lab_environment(instructor: bool, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment `jupyter lab` runs in: the students' configuration first unless `instructor`."""
    env = dict(os.environ if env is None else env)
    paths = [p for p in env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p and Path(p) != STUDENT_CONFIG]
    if not instructor:
        paths.insert(0, str(STUDENT_CONFIG))
    if paths:
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    else:
        env.pop("JUPYTER_CONFIG_PATH", None)
    return env


def local_kernels() -> list[str]:
    """Kernels over local sockets (no "TCP without encryption" warning), where the system has them and the socket
    paths stay under the length Unix allows."""
    from jupyter_core.paths import jupyter_runtime_dir
    if os.name == "posix" and len(jupyter_runtime_dir()) < 60:
        return ["--KernelManager.transport=ipc"]
    return []


def run_lab(args: argparse.Namespace) -> int:
    extra = [a for a in args.jupyter_args if a != "--"]
    command = [sys.executable, "-m", "jupyter", "lab", *local_kernels(), *extra]
    return subprocess.call(command, env=lab_environment(args.instructor)) or EXIT_OK
