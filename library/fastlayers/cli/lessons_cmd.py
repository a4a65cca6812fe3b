"""`fastlayers lessons`: the course's twelve lessons and where their notebooks are."""
from __future__ import annotations

import argparse
from pathlib import Path

from fastlayers.cli.data_cmd import table
from fastlayers.cli.main import EXIT_MISSING, EXIT_OK, CommandError

# Number and topic of each lesson, in course order.
LESSONS: list[tuple[str, str]] = [
    ("00", "tour"),
    ("01", "tensors and type dispatch"),
    ("02", "transforms and pipelines"),
    ("03", "datasets and data loaders"),
    ("04", "learner and callbacks"),
    ("05", "optimizers"),
    ("06", "schedules"),
    ("07", "metrics"),
    ("08", "vision"),
    ("09", "sensor sequences"),
    ("10", "text"),
    ("11", "interpretation and deployment"),
]


def _is_course_root(folder: Path) -> bool:
    return (folder / "nbgrader_config.py").is_file() and any(
        (folder / d).is_dir() for d in ("course", "exercises", "solutions"))


def find_course_root(start: Path | None = None) -> Path | None:
    """The course folder: `start` (default: the working directory) or an ancestor, else the installed checkout."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if _is_course_root(folder):
            return folder
    checkout = Path(__file__).resolve().parents[3]  # library/fastlayers/cli/ -> the repository (editable install)
    return checkout if _is_course_root(checkout) else None


def notebook_paths(root: Path, number: str) -> tuple[Path | None, Path | None]:
    """The course notebook course/NN_*.ipynb and the exercise exercises/NN_*/NN_*.ipynb of lesson `number`."""
    course = sorted((root / "course").glob(f"{number}_*.ipynb"))
    exercise = sorted((root / "exercises").glob(f"{number}_*/{number}_*.ipynb"))
    return (course[0] if course else None), (exercise[0] if exercise else None)


def run_lessons(args: argparse.Namespace) -> int:
    root = Path(args.root) if args.root else find_course_root()
    if root is None or not root.is_dir():
        raise CommandError("no course folder found (one holding nbgrader_config.py and course/ or exercises/); "
                           "run this inside the course folder or pass --root PATH", EXIT_MISSING)
    rows = []
    for number, topic in LESSONS:
        course, exercise = notebook_paths(root, number)
        show = lambda p: p.relative_to(root).as_posix() if p else "-"
        rows.append([number, topic, show(course), "yes" if course else "no", show(exercise),
                     "yes" if exercise else "no"])
    print(table(["NN", "topic", "course notebook", "exists", "exercise notebook", "exists"], rows))
    print(f"\ncourse folder: {root}")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `fastlayers lessons` to the command line."""
    p = subparsers.add_parser("lessons", help="list the lessons and whether their notebooks exist",
                              description="List the course's lessons with their course and exercise notebooks.")
    p.add_argument("--root", help="course folder (default: found from the working directory)")
    p.set_defaults(run=run_lessons)
