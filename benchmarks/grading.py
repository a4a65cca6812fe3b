"""Grading speed: `fastlayers check 06` on solutions, nbgrader autograde of one submission, and the extra time an
infinite-loop submission costs over a correct one (runner and nbgrader). Run from the repository root."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ENV = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


def timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, check=False)
    return time.perf_counter() - start


def main() -> None:
    from tests.grading.fixtures.notebooks import NAME, set_cell, write_course
    from tests.grading.fixtures.submissions import GOOD_ADD
    fl = [sys.executable, "-m", "fastlayers.cli"]
    print(f"fastlayers check 06 --notebooks solutions: {timed(fl + ['check', '06', '--notebooks', 'solutions'], ROOT):.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        src = write_course(course)
        shutil.copytree(ROOT / "solutions" / "06_schedules", course / "solutions" / "06_schedules")
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "06_schedules", "--force"],
                       cwd=course, env=ENV, capture_output=True, check=True)
        sub06 = course / "submitted" / "student06" / "06_schedules"
        shutil.copytree(ROOT / "solutions" / "06_schedules", sub06)
        t06 = timed([sys.executable, "-m", "nbgrader", "autograde", "06_schedules", "--force"], course)
        print(f"nbgrader autograde of one lesson-06 submission (the solution): {t06:.1f} s")
        nb = json.loads(src.read_text())
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", NAME, "--force"], cwd=course,
                       env=ENV, capture_output=True, check=True)
        loop = set_cell(set_cell(nb, "add_solution", GOOD_ADD), "mean_solution", "def mean(xs):\n    while True:\n        pass")
        for student, book in [("correct", nb), ("loops", loop)]:
            folder = course / "submitted" / student / NAME
            folder.mkdir(parents=True)
            (folder / f"{NAME}.ipynb").write_text(json.dumps(book))
            shutil.copy(src.parent / "fixture_checks.py", folder)
        times = {s: timed([sys.executable, "-m", "nbgrader", "autograde", NAME, "--student", s, "--force"], course)
                 for s in ["correct", "loops"]}
        run = [sys.executable, "-m", "fastlayers.checks.runner"]
        r_ok = timed(run + [str(course / "submitted/correct" / NAME / f"{NAME}.ipynb")], course)
        r_loop = timed(run + [str(course / "submitted/loops" / NAME / f"{NAME}.ipynb")], course)
    print(f"nbgrader autograde, one submission: {times['correct']:.1f} s; infinite loop: {times['loops']:.1f} s "
          f"(extra {times['loops'] - times['correct']:.1f} s)")
    print(f"runner, one submission: {r_ok:.1f} s; infinite loop: {r_loop:.1f} s (extra {r_loop - r_ok:.1f} s)")


if __name__ == "__main__":
    main()
