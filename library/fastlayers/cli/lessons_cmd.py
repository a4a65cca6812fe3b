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
    if args.execute is not None:
        return _execute(root, args.execute)
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
    p.add_argument("--execute", nargs="*", metavar="NN",
                   help="run these lesson notebooks (default: all) and save them with their outputs")
    p.set_defaults(run=run_lessons)


def _execute(root: Path, numbers: list[str]) -> int:
    """Run lesson notebooks of course/ and save their outputs (what students see before running them)."""
    from fastlayers.cli.refresh_cmd import refresh
    wanted = {f"{int(n):02d}" for n in numbers if n.isdigit()} if numbers else None
    paths = [p for p in sorted((root / "course").glob("[0-9][0-9]_*.ipynb")) if wanted is None or p.name[:2] in wanted]
    if not paths:
        raise CommandError(f"no lesson notebooks {sorted(wanted or [])} in {root / 'course'}", EXIT_MISSING)
    for path in paths:
        print(f"{path.relative_to(root)}: running ...", flush=True)
        seconds = refresh(path)
        print(f"{path.relative_to(root)}: saved with its outputs ({seconds:.1f} s)")
    return EXIT_OK
