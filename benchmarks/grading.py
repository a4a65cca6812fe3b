"""Grading throughput: `fastlayers grade` on synthetic lesson-06 submissions at 1 and 2 jobs, and a re-run.

    python benchmarks/grading.py [--students 20]

Builds a scratch course with exercise 06 and N submissions (solved, half solved, untouched, wrong, an endless
loop), then times, side by side in this process:
  - the grading pass alone (the isolated grader, `run_notebooks`) at 1 and 2 workers;
  - `fastlayers grade --jobs 1` and `--jobs 2` end to end (grading pass + nbgrader autograde, feedback, export);
  - a re-run of `fastlayers grade` with nothing changed (nbgrader bookkeeping only).
It checks that both job counts give the same scores, and projects the time for a class of 200 students and 11
lessons on a 16-core machine from the measured per-submission costs.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
LESSON = "06_schedules"


def make_course(folder: Path, students: int) -> None:
    from fastlayers.checks.notebook import read_cells
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    for part in ("solutions", "exercises"):
        shutil.copytree(ROOT / part / LESSON, folder / part / LESSON)
    released = json.loads((ROOT / "exercises" / LESSON / f"{LESSON}_exercise.ipynb").read_text())
    answers = {c.grade_id: c.source for c in read_cells(ROOT / "solutions" / LESSON / f"{LESSON}_exercise.ipynb")
               if c.is_solution}
    pieces = list(answers)
    for k in range(students):
        nb = json.loads(json.dumps(released))
        kind = k % 5
        solved = pieces if kind == 0 else pieces[: 1 + k % len(pieces)] if kind in (1, 2) else []
        for cell in nb["cells"]:
            gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
            if gid in solved:
                cell["source"] = answers[gid]
            elif kind == 3 and gid == "sched_cos_solution":
                cell["source"] = "def sched_cos(start, end, pos):\n    return start + pos * (end - start)\n"
            elif kind == 4 and gid == "valley_solution":
                cell["source"] = "def valley(lrs, losses, num_it):\n    while True:\n        pass\n"
        target = folder / "submitted" / f"student{k:03d}" / LESSON
        target.mkdir(parents=True)
        (target / f"{LESSON}_exercise.ipynb").write_text(json.dumps(nb))


def grade(course: Path, jobs: int) -> tuple[float, dict, str]:
    """(seconds, scores by student, the command's own split of its time)."""
    from fastlayers.cli.main import main
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["grade", "--course", str(course), "--jobs", str(jobs)])
    seconds = time.perf_counter() - start
    assert code == 0, f"fastlayers grade exited {code}"
    rows = {r["student_id"]: r["score"] for r in csv.DictReader((course / "grades.csv").open())}
    split = next((ln for ln in out.getvalue().splitlines() if ln.startswith("time: ")), "")
    return seconds, rows, split


def grading_pass(course: Path, workers: int) -> float:
    from fastlayers.checks.runner import Job, run_notebooks, stop_servers
    source = course / "solutions" / LESSON / f"{LESSON}_exercise.ipynb"
    notebooks = sorted(course.glob(f"submitted/*/{LESSON}/{LESSON}_exercise.ipynb"))
    jobs = [Job(str(nb), trusted=str(source)) for nb in notebooks]
    stop_servers()  # each measurement starts its agents afresh
    start = time.perf_counter()
    run_notebooks(jobs, workers=workers)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=20)
    args = parser.parse_args()
    n = args.students
    print(f"machine: {os.cpu_count()} cores; {n} synthetic lesson-06 submissions (one in five loops forever "
          f"in one check, which costs that check's 10 s limit)")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        make_course(base, n)
        passes = {w: grading_pass(base, w) for w in (1, 2)}
        for w, s in passes.items():
            print(f"grading pass, {w} worker(s): {s:6.1f} s  {60 * n / s:6.1f} submissions/minute")
        print(f"  speed-up at 2 workers: {passes[1] / passes[2]:.2f}x")
        results = {}
        for jobs in (1, 2):
            course = Path(tmp) / f"jobs{jobs}"
            shutil.copytree(base, course)
            results[jobs] = grade(course, jobs)
            s = results[jobs][0]
            print(f"fastlayers grade --jobs {jobs}: {s:6.1f} s  {60 * n / s:6.1f} submissions/minute "
                  f"({results[jobs][2][6:]})")
        assert results[1][1] == results[2][1], "the scores differ between 1 and 2 jobs"
        print("  scores identical at 1 and 2 jobs")
        rerun, _, split = grade(Path(tmp) / "jobs2", 2)
        print(f"re-run with nothing changed: {rerun:6.1f} s (nbgrader's own bookkeeping: {split[6:]})")
    per_sub_grading = passes[1] / n           # one worker, seconds per submission
    efficiency = passes[1] / passes[2] / 2    # how well 2 workers scale, used for 16 cores too
    parts = dict((p.rsplit(" ", 2)[0], float(p.rsplit(" ", 2)[1])) for p in split[6:].split(", ") if p)
    autograde = parts.get("nbgrader autograde", rerun) / n  # serial: it writes the gradebook
    feedback = parts.get("feedback", 0.0) / n               # one assignment per process, 11 side by side
    subs = 200 * 11
    grading = subs * per_sub_grading / (16 * efficiency)
    bookkeeping = subs * autograde + subs * feedback / 11
    print(f"projection, 200 students x 11 lessons on 16 cores: {(grading + bookkeeping) / 60:.0f} min "
          f"(grading {grading / 60:.0f} min at {efficiency:.0%} scaling; nbgrader recording the grades "
          f"{subs * autograde / 60:.0f} min, one assignment after another; feedback pages {subs * feedback / 11 / 60:.0f} "
          f"min, 11 assignments side by side); a re-run with nothing changed: {bookkeeping / 60:.0f} min")


if __name__ == "__main__":
    main()
