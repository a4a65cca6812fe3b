"""The grade that counts cannot be computed by the student's code: hostile notebooks of exercise 06 under
`fastlayers check`, `fastlayers grade` (nbgrader) and the pytest plugin, with exact scores, and no process left."""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fastlayers.checks.notebook import read_cells
from fastlayers.checks.runner import graded_job, run_notebooks
from fastlayers.cli.main import main
from tests.grading.hostile import LESSON, MARKER, cases

ROOT = Path(__file__).resolve().parents[2]
CASES = cases()


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


def _notebook(case, released: dict, solutions: dict) -> str:
    if case.raw:
        return case.raw
    nb = json.loads(json.dumps(released))
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid in case.cells:
            cell["source"] = case.cells[gid] if case.cells[gid] is not None else solutions[gid]
    return json.dumps(nb, indent=1)


@pytest.fixture(scope="module")
def hostile_course(tmp_path_factory) -> Path:
    """A course with exercise 06, each case as <case>/06_schedules/ (for check and pytest) and as a submission."""
    course = tmp_path_factory.mktemp("hostile")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder / LESSON, course / folder / LESSON)
    released = json.loads((ROOT / "exercises" / LESSON / f"{LESSON}_exercise.ipynb").read_text())
    solutions = {c.grade_id: c.source for c in read_cells(ROOT / "solutions" / LESSON / f"{LESSON}_exercise.ipynb")
                 if c.is_solution}
    for case in CASES:
        text = _notebook(case, released, solutions)
        for folder in (course / _slug(case.name) / LESSON, course / "submitted" / _slug(case.name) / LESSON):
            folder.mkdir(parents=True)
            (folder / f"{LESSON}_exercise.ipynb").write_text(text)
    return course


def _leftovers() -> list[str]:
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if MARKER in line and "ps -eo" not in line]


@pytest.mark.slow
def test_check_gives_exact_scores_and_leaves_no_process(hostile_course):
    jobs = [graded_job(hostile_course / _slug(c.name) / LESSON / f"{LESSON}_exercise.ipynb", label=c.name)
            for c in CASES]
    results = run_notebooks(jobs)
    scores = {r.label: r.score for r in results}
    assert scores == {c.name: c.score for c in CASES}, [(c.name, c.message[:300]) for r in results for c in r.checks if r.label == "solved"]
    for case, result in zip(CASES, results):
        assert result.max_score == 12, case.name
        if case.note:
            assert case.note in result.error, (case.name, result.error)
    time.sleep(0.5)
    assert _leftovers() == []


@pytest.mark.slow
def test_check_command_reports_a_dead_notebook_and_an_unreadable_one(hostile_course, monkeypatch, capsys):
    monkeypatch.chdir(hostile_course)
    for case, needle in [("os._exit(0) after three pieces", "exit code 0"), ("not valid JSON", "not a readable")]:
        assert main(["check", "--notebooks", _slug(case)]) == 1
        out = capsys.readouterr()
        total = next(c.score for c in CASES if c.name == case)
        assert needle in out.out and f"total: {total:g}/12 points" in out.out, out.out
        assert "Traceback" not in out.out + out.err


@pytest.mark.slow
def test_grade_writes_the_graders_scores_into_nbgrader(hostile_course):
    assert main(["grade", "--course", str(hostile_course)]) == 0
    rows = {r["student_id"]: r for r in csv.DictReader((hostile_course / "grades.csv").open())}
    assert {s: float(r["score"]) for s, r in rows.items()} == {_slug(c.name): c.score for c in CASES}
    assert all(float(r["max_score"]) == 12 for r in rows.values())
    for case in CASES:
        row = rows[_slug(case.name)]
        if case.note:
            assert case.note in row["note"], (case.name, row["note"])
        page = hostile_course / "feedback" / _slug(case.name) / LESSON / f"{LESSON}_exercise.html"
        assert page.is_file(), case.name
    # the gradebook itself holds the same scores (what nbgrader's formgrader shows)
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{hostile_course / 'gradebook.db'}") as gb:
        for case in CASES:
            if not case.raw:
                assert gb.find_submission(LESSON, _slug(case.name)).score == case.score, case.name
    time.sleep(0.5)
    assert _leftovers() == []


@pytest.mark.slow
def test_pytest_plugin_gives_exact_scores(hostile_course):
    folders = [_slug(c.name) for c in CASES]
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-m", "lesson06", "-q",
                           *folders], cwd=hostile_course, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=""))
    assert proc.returncode == 1, proc.stdout[-3000:]
    for case in CASES:
        line = f"{_slug(case.name)}/{LESSON}/{LESSON}_exercise.ipynb: {case.score:g}/12 points"
        assert line in proc.stdout, (line, proc.stdout[-3000:])
