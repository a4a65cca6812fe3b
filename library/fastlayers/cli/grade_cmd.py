"""Grading commands: `check` and `progress` for learners, `release` and `grade` for instructors."""
from __future__ import annotations

import argparse
import contextlib
import csv
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fastlayers.cli.main import EXIT_MISSING, EXIT_OK, EXIT_PROBLEMS, CommandError
from fastlayers.cli.progress_report import first_line, history_path, record



def register(sub: argparse._SubParsersAction) -> None:
    """Add `check`, `progress`, `release` and `grade` to the command line."""
    p = sub.add_parser("check", help="grade your exercise notebooks (exit 0 only when every check passes)")
    p.add_argument("lessons", nargs="*", metavar="NN", help="lesson numbers, e.g. 02 06 (default: all)")
    _common(p)
    p.add_argument("--json", metavar="FILE", help="also write the full results as JSON")
    p.add_argument("-v", "--verbose", action="store_true", help="print each failing check's full message")
    p.set_defaults(run=run_check)

    p = sub.add_parser("progress", help="points per lesson and overall")
    p.add_argument("lessons", nargs="*", metavar="NN", help="lesson numbers (default: all)")
    _common(p)
    p.add_argument("--html", metavar="FILE", help="also write a report you can open in a browser")
    p.set_defaults(run=run_progress)

    p = sub.add_parser("release", help="instructor: regenerate exercises/ from solutions/ through nbgrader")
    p.add_argument("lessons", nargs="*", metavar="NN", help="lesson numbers (default: all)")
    p.add_argument("--course", default=".", help="course folder holding nbgrader_config.py (default: here)")
    p.add_argument("--force", action="store_true",
                   help="overwrite exercise notebooks that hold edits (a .bak copy is kept)")
    p.set_defaults(run=run_release)

    p = sub.add_parser("grade", help="instructor: autograde submitted/, write feedback/ and a CSV, print a summary")
    p.add_argument("lessons", nargs="*", metavar="NN", help="lesson numbers (default: every submitted lesson)")
    p.add_argument("--course", default=".", help="course folder holding nbgrader_config.py (default: here)")
    p.add_argument("--csv", default="grades.csv", help="CSV file to write, relative to the course (default: %(default)s)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="submissions graded at a time (default: the number of cores, %(default)s)")
    p.add_argument("--memory", type=int, default=4096, metavar="MB",
                   help="memory one submission's process may add (default: %(default)s MB)")
    p.add_argument("--notebook-timeout", type=float, default=1800.0, metavar="S",
                   help="seconds one submission may run in all (default: %(default)s)")
    p.set_defaults(run=run_grade)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--notebooks", default="exercises", metavar="DIR",
                   help="folder with NN_topic/NN_topic.ipynb notebooks (default: %(default)s)")
    p.add_argument("--cell-timeout", type=float, default=300.0, metavar="S",
                   help="seconds one cell may run before its notebook is stopped (default: %(default)s)")


def _lesson_ids(values: list[str]) -> list[str] | None:
    ids = []
    for v in values:
        m = re.fullmatch(r"(?:lesson)?(\d{1,2})", v.strip())
        if not m:
            raise CommandError(f"{v!r} is not a lesson number: give numbers like 02 or 6", code=2)
        ids.append(f"{int(m.group(1)):02d}")
    return ids or None


# ----------------------------------------------------------------------------------------------------------------
# check / progress
# ----------------------------------------------------------------------------------------------------------------

def _grade_notebooks(args: argparse.Namespace) -> list[Any]:
    from fastlayers.checks.notebook import find_notebooks
    from fastlayers.checks.runner import graded_job, run_notebooks

    folder = Path(args.notebooks)
    if not folder.is_dir():
        raise CommandError(f"no notebook folder {folder}/ here: run this in the course folder "
                           f"(the one with exercises/ and solutions/) or pass --notebooks DIR", code=EXIT_MISSING)
    lessons = _lesson_ids(args.lessons)
    notebooks = find_notebooks(folder, lessons)
    if not notebooks:
        have = sorted({p.parent.name[:2] for p in find_notebooks(folder)})
        wanted = f" for lesson(s) {', '.join(lessons)}" if lessons else ""
        raise CommandError(f"no graded notebooks{wanted} in {folder}/ (lessons there: {', '.join(have) or 'none'})",
                           code=EXIT_MISSING)
    # original test cells from solutions/ when it is there (edited or deleted test cells change nothing)
    jobs = [graded_job(nb, label=nb.parent.name) for nb in notebooks]
    print(f"grading {len(jobs)} notebook(s) in {folder}/ ...", flush=True)
    results = run_notebooks(jobs, cell_timeout=args.cell_timeout, json_path=getattr(args, "json", None))
    record(results, history_path(folder))  # for the history chart of `fastlayers progress --html`
    return results


def run_check(args: argparse.Namespace) -> int:
    """`fastlayers check`: table of lessons, checks, points and first failure message (-v: the whole message)."""
    start = time.perf_counter()
    results = _grade_notebooks(args)
    rows = [(r.lesson, c.name, f"{c.points:g}/{c.max_points:g}", "PASS" if c.passed else "FAIL", first_line(c))
            for r in results for c in r.checks]
    width = max([len(r[1]) for r in rows] + [10])
    print(f"{'lesson':<7}{'check':<{width + 2}}{'points':>7}  result")
    for lesson, name, pts, status, msg in rows:
        print(f"{lesson:<7}{name:<{width + 2}}{pts:>7}  {status}{'  ' + msg if msg else ''}")
    for r in results:
        if r.error:
            print(f"{r.lesson:<7}{'(notebook)':<{width + 2}}{'':>7}  note  {r.error.splitlines()[0]}")
    if getattr(args, "verbose", False):
        for r in results:
            for c in r.checks:
                if not c.passed:
                    print(f"\n--- {r.label}: {c.name} ---\n{c.message}")
    got, total = sum(r.score for r in results), sum(r.max_score for r in results)
    passed = sum(c.passed for r in results for c in r.checks)
    count = sum(len(r.checks) for r in results)
    print(f"total: {got:g}/{total:g} points, {passed} of {count} checks pass ({time.perf_counter() - start:.1f} s)")
    ok = count > 0 and passed == count and not any(r.error for r in results)
    if not ok and not getattr(args, "verbose", False):
        print("`fastlayers check -v` prints each failing check's full message (or run the check cells in Jupyter)")
    return EXIT_OK if ok else EXIT_PROBLEMS


def run_progress(args: argparse.Namespace) -> int:
    """`fastlayers progress`: points per lesson and overall, optionally as an HTML report with the history."""
    from fastlayers.cli.progress_report import history_path, html_report, load_history
    results = _grade_notebooks(args)
    got, total = sum(r.score for r in results), sum(r.max_score for r in results)
    for r in results:
        print(f"{r.label:<28} {_bar(r.score, r.max_score)} {r.score:>5g}/{r.max_score:g}")
    print(f"{'overall':<28} {_bar(got, total)} {got:>5g}/{total:g}")
    if args.html:
        history = load_history(history_path(args.notebooks))
        Path(args.html).write_text(html_report(results, history), encoding="utf-8")
        print(f"report written to {args.html}")
    return EXIT_OK


def _bar(got: float, total: float, width: int = 20) -> str:
    filled = round(width * got / total) if total else 0
    return "[" + "#" * filled + "." * (width - filled) + "]"


# ----------------------------------------------------------------------------------------------------------------
# release / grade (nbgrader)
# ----------------------------------------------------------------------------------------------------------------

def _course(path: str) -> Path:
    course = Path(path).resolve()
    if not (course / "nbgrader_config.py").is_file():
        raise CommandError(f"{course} has no nbgrader_config.py: run in the course folder or pass --course DIR",
                           code=EXIT_MISSING)
    return course


def _nbgrader(course: Path, *argv: str, check: bool = True,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    # nbgrader calls `alembic` and starts kernels by name: both live next to this Python.
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               **(env or {}))
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *argv], cwd=course, capture_output=True, text=True,
                          env=env)
    if check and proc.returncode != 0:
        raise CommandError(f"`nbgrader {' '.join(argv)}` failed in {course}:\n{proc.stdout[-1500:]}{proc.stderr[-3000:]}")
    return proc


def _assignments(folder: Path, lessons: list[str] | None) -> list[str]:
    names = sorted(p.name for p in folder.glob("[0-9][0-9]_*") if p.is_dir())
    return [n for n in names if lessons is None or n[:2] in lessons]


def generate(course: Path, names: list[str], out: Path) -> None:
    """Generate the student versions of `solutions/<name>` into `out/<name>`, one nbgrader run in a scratch course."""
    with tempfile.TemporaryDirectory(prefix="fastlayers-release-") as tmp:
        scratch = Path(tmp)
        shutil.copy(course / "nbgrader_config.py", scratch / "nbgrader_config.py")
        for name in names:
            shutil.copytree(course / "solutions" / name, scratch / "solutions" / name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        # a scratch gradebook keeps the course's own gradebook.db untouched; "*" = every copied assignment
        _nbgrader(scratch, "generate_assignment", "*", "--force")
        for name in names:
            if (out / name).exists():
                shutil.rmtree(out / name)
            shutil.copytree(scratch / "exercises" / name, out / name)


STUB = "# YOUR CODE HERE\nraise NotImplementedError()"  # as in nbgrader_config.py


def student_version(source: str) -> str:
    """A solution cell as nbgrader's ClearSolutions writes it: the BEGIN/END SOLUTION region becomes the stub."""
    lines, out, inside = source.split("\n"), [], False
    if "### BEGIN SOLUTION" not in source:
        return STUB  # a solution cell without markers is replaced whole
    for line in lines:
        if "### BEGIN SOLUTION" in line:
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + stub for stub in STUB.split("\n"))
        elif "### END SOLUTION" in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def edited_cells(source_nb: Path, exercise_nb: Path) -> list[str]:
    """grade_ids of solution cells in the learner's copy that differ from a fresh release (i.e. hold their work)."""
    from fastlayers.checks.notebook import NotebookError, read_cells
    fresh = {c.grade_id: student_version(c.source) for c in read_cells(source_nb) if c.is_solution}
    try:
        mine = {c.grade_id: c.source for c in read_cells(exercise_nb) if c.is_solution}
    except NotebookError:
        return ["(unreadable notebook)"]  # may still hold work worth keeping
    return sorted(gid for gid in set(fresh) | set(mine) if fresh.get(gid) != mine.get(gid))


def run_release(args: argparse.Namespace) -> int:
    """`fastlayers release`: regenerate exercises/ from solutions/, refusing to overwrite a learner's work."""
    course = _course(args.course)
    names = _assignments(course / "solutions", _lesson_ids(args.lessons))
    if not names:
        raise CommandError(f"no exercises to release in {course / 'solutions'}", code=EXIT_MISSING)
    refused, edited = [], {}
    for name in names:
        target = course / "exercises" / name
        edited[name] = [target / src.name for src in sorted((course / "solutions" / name).glob("*.ipynb"))
                        if (target / src.name).exists() and edited_cells(src, target / src.name)]
        if edited[name] and not args.force:
            refused.append(name)
            print(f"{name}: NOT released: {', '.join(str(e) for e in edited[name])} holds your own code; "
                  f"pass --force to replace it (a .bak copy is kept)")
    todo = [n for n in names if n not in refused]
    with tempfile.TemporaryDirectory(prefix="fastlayers-new-") as tmp:
        if todo:
            generate(course, todo, Path(tmp))
        for name in todo:
            target = course / "exercises" / name
            for old in edited[name]:
                backup = old.with_suffix(f".ipynb.bak-{time.strftime('%Y%m%d-%H%M%S')}")
                shutil.copy(old, backup)
                print(f"{name}: kept your edited notebook as {backup}")
            target.mkdir(parents=True, exist_ok=True)
            shutil.copytree(Path(tmp) / name, target, dirs_exist_ok=True)
            print(f"{name}: released to {target}")
        if todo:
            record_in_gradebook(course, todo, Path(tmp) / "registered")
    return EXIT_PROBLEMS if refused else EXIT_OK


def record_in_gradebook(course: Path, names: list[str], scratch: Path) -> None:
    """Record the released assignments (their notebooks and test cells) in the course's gradebook, so nbgrader's
    own commands (`nbgrader autograde 06_schedules`, the formgrader) know them; the release itself goes to a
    scratch folder, so exercises/ is written only by the release above."""
    patterns = ["*"] if set(names) == set(_assignments(course / "solutions", None)) else names
    for pattern in patterns:
        proc = _nbgrader(course, "generate_assignment", pattern, "--force",
                         f"--CourseDirectory.release_directory={scratch}", check=False)
        if proc.returncode != 0:
            print(f"note: could not record {pattern} in {course / 'gradebook.db'} (nbgrader's own autograde will not "
                  f"know it until `fastlayers release` succeeds there):\n{proc.stderr[-800:]}")


def run_grade(args: argparse.Namespace) -> int:
    """`fastlayers grade`: nbgrader autograde (through the fastlayers grader) + feedback for every submission,
    export a CSV, summarise.

    The scores come from the fastlayers grader, which `nbgrader_config.py` puts in place of nbgrader's kernel
    execution: nbgrader records them in its gradebook, the feedback and the export. A submission nbgrader cannot
    open at all (not valid JSON) scores 0 of the assignment's points, with a note and a feedback page.
    """
    course = _course(args.course)
    _require_isolated_grading(course)
    submitted = course / "submitted"
    lessons = _lesson_ids(args.lessons)
    names = sorted({a for student in submitted.glob("*") if student.is_dir()
                    for a in _assignments(student, lessons)}) if submitted.is_dir() else []
    if not names:
        raise CommandError(f"no submissions in {submitted}/ (expected submitted/<student>/NN_topic/NN_topic.ipynb)",
                           code=EXIT_MISSING)
    cache = course / GRADE_CACHE
    times = {"grading": time.perf_counter()}
    _grade_in_parallel(course, names, cache, args)
    times["grading"] = time.perf_counter() - times["grading"]
    not_graded: dict[tuple[str, str], str] = {}
    env = {"FASTLAYERS_GRADE_CACHE": str(cache)}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fastlayers-grade-") as tmp:
        for name in names:  # one at a time: autograde writes to the gradebook
            # generate_assignment records the test cells in the gradebook; autograde restores them from there.
            _nbgrader(course, "generate_assignment", name, "--force", f"--CourseDirectory.release_directory={tmp}")
            print(f"{name}: recording the grades in nbgrader ...", flush=True)
            proc = _nbgrader(course, "autograde", name, "--force", check=False, env=env)
            log = proc.stdout + proc.stderr
            failed = re.findall(rf"error processing assignment '{re.escape(name)}' for student '([^']+)'", log)
            for student in failed:
                not_graded[(name, student)] = _why_not_graded(course, name, student, log)
            if proc.returncode != 0 and not failed:
                raise CommandError(f"`nbgrader autograde {name}` failed:\n{log[-3000:]}")
    times["nbgrader autograde"] = time.perf_counter() - start
    start = time.perf_counter()
    # feedback only reads the gradebook: the assignments' pages are written side by side
    import concurrent.futures
    with concurrent.futures.ThreadPoolExecutor(max(1, min(args.jobs, len(names)))) as pool:
        list(pool.map(lambda name: _nbgrader(course, "generate_feedback", name, "--force", check=False), names))
    times["feedback"] = time.perf_counter() - start
    start = time.perf_counter()
    csv_path = course / args.csv
    _nbgrader(course, "export", f"--to={csv_path}")
    times["export"] = time.perf_counter() - start
    rows = list(csv.DictReader(csv_path.open()))
    _add_notes(course, rows, not_graded)
    with csv_path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()) if rows else ["assignment"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"{'student':<20}{'assignment':<28}{'score':>8}{'max':>6}  note")
    for row in rows:
        if row["assignment"] in names:
            print(f"{row['student_id']:<20}{row['assignment']:<28}{float(row['score']):>8g}"
                  f"{float(row['max_score']):>6g}  {row.get('note', '')}")
    print(f"grades written to {csv_path}; feedback in {course / 'feedback'}/")
    print("time: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()))
    return EXIT_OK


GRADE_CACHE = ".fastlayers-grades"  # results by content hash, so a re-run skips unchanged submissions


def _grade_in_parallel(course: Path, names: list[str], cache: Path, args: argparse.Namespace) -> None:
    """Grade every submission not graded before (by content hash) with `--jobs` at a time, into the cache that
    nbgrader's autograde then reads. Each one is graded from a copy of its folder, its own process limited in
    time and memory."""
    from tqdm.auto import tqdm
    from fastlayers.checks.nbgrader_grade import grade_key, write_cached
    from fastlayers.checks.notebook import graded_notebook
    from fastlayers.checks.runner import Job, run_notebooks

    todo: list[tuple[Path, Path]] = []
    total = 0
    for name in names:
        source = graded_notebook(course / "solutions" / name)
        for folder in sorted((course / "submitted").glob(f"*/{name}")):
            notebook = folder / source.name if source is not None else graded_notebook(folder)
            if notebook is None or not notebook.is_file():
                continue
            total += 1
            if not (cache / f"{grade_key(notebook, source)}.json").is_file():
                todo.append((notebook, source))
    print(f"{total} submission(s): {total - len(todo)} unchanged since their last grade, {len(todo)} to grade "
          f"with {max(1, args.jobs)} job(s)", flush=True)
    if not todo:
        return
    with tempfile.TemporaryDirectory(prefix="fastlayers-submissions-") as tmp:
        jobs = []
        for k, (notebook, source) in enumerate(todo):
            copy = Path(tmp) / str(k) / notebook.parent.name  # the student's code runs on a copy of its folder
            shutil.copytree(notebook.parent, copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
            jobs.append(Job(str(copy / notebook.name), trusted=str(source), label=notebook.parent.parent.name))
        bar = tqdm(total=len(jobs), desc="grading", unit="submission", disable=None)

        def done(i: int, result) -> None:
            write_cached(cache, todo[i][0], todo[i][1], result)
            bar.update(1)
        try:
            run_notebooks(jobs, workers=max(1, args.jobs), memory_mb=args.memory,
                          notebook_timeout=args.notebook_timeout, on_result=done)
        finally:
            bar.close()


ISOLATED = "fastlayers.checks.nbgrader_grade.GradeInIsolation"


def _require_isolated_grading(course: Path) -> None:
    """Refuse to grade with a configuration that would let nbgrader score in the student's own kernel."""
    text = (course / "nbgrader_config.py").read_text(encoding="utf-8", errors="replace")
    if ISOLATED not in text:
        raise CommandError(f"{course / 'nbgrader_config.py'} does not grade through the fastlayers grader, so scores "
                           f"would come from the students' own kernels: add {ISOLATED} to "
                           "c.Autograde.autograde_preprocessors in place of Execute (see this course's "
                           "nbgrader_config.py)", code=EXIT_PROBLEMS)


def _why_not_graded(course: Path, name: str, student: str, log: str) -> str:
    from fastlayers.checks.notebook import NotebookError, graded_notebook, read_cells
    try:
        source = graded_notebook(course / "solutions" / name)
        read_cells(course / "submitted" / student / name / (source.name if source else f"{name}.ipynb"))
    except NotebookError:
        return "the submitted notebook is not a readable notebook (not valid JSON?)"
    return "nbgrader could not grade it (see the log of `nbgrader autograde`)"


def _fmt(points: float) -> str:
    return f"{float(points):g}"


def _add_notes(course: Path, rows: list[dict[str, str]], not_graded: dict[tuple[str, str], str]) -> None:
    """A note per row (what the grader noticed), scores printed alike, and rows for submissions nbgrader dropped."""
    import json
    from fastlayers.checks.nbgrader_grade import NOTES
    from fastlayers.checks.notebook import autograded_cells, graded_notebook, read_cells
    for row in rows:
        row.setdefault("note", "")
        for key in ("score", "max_score", "raw_score"):
            if row.get(key) not in (None, ""):
                row[key] = _fmt(row[key])
        notes = course / "autograded" / row["student_id"] / row["assignment"] / NOTES
        if notes.is_file() and (row["student_id"], row["assignment"]) not in not_graded:
            with contextlib.suppress(ValueError, OSError):
                for res in json.loads(notes.read_text(encoding="utf-8")).values():
                    if res.get("error"):
                        row["note"] = res["error"].splitlines()[0]
    for (name, student), why in sorted(not_graded.items()):
        source = graded_notebook(course / "solutions" / name)
        total = sum(c.points for c in autograded_cells(read_cells(source))) if source else 0.0
        row = next((r for r in rows if r["assignment"] == name and r["student_id"] == student), None)
        if row is None:
            row = {k: "" for k in (rows[0] if rows else {"assignment": "", "student_id": ""})}
            row.update(assignment=name, student_id=student)
            rows.append(row)
        row.update(raw_score="0", score="0", max_score=_fmt(total), note=f"{why}: scored 0 of {total:g}")
        _feedback_page(course, name, source.stem if source else name, student,
                       f"{why}. It scored 0 of {total:g} points. Open it in Jupyter: if it does not open, restore it "
                       "from a backup and submit it again.")


def _feedback_page(course: Path, name: str, stem: str, student: str, text: str) -> None:
    """A feedback page for a submission nbgrader could not open (so every student gets one), named like the
    pages nbgrader writes (after the notebook)."""
    folder = course / "feedback" / student / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.html").write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(name)}</title></head><body>"
        f"<h1>{html.escape(name)}: feedback</h1><p>{html.escape(text)}</p></body></html>", encoding="utf-8")
