"""nbgrader end to end on the fixture exercise: release, made-up submissions, autograde, feedback, CSV export.

What nbgrader does on its own, and what the course adds (asserted below):
- edited or deleted test cells: nbgrader autograde restores them from the gradebook;
- autograde does not run the submission in a Jupyter kernel: `nbgrader_config.py` puts the fastlayers grader in
  nbgrader's place (student cells in their own process, checks in nbgrader's), so the gradebook holds its scores;
- stderr from student code would zero a cell in nbgrader: the grader shows it as a note instead;
- an infinite loop is stopped by the check's own time limit, not nbgrader's 300 s cell timeout;
- a notebook whose process dies (`os._exit`) keeps the points of the checks that passed before, with a note;
  an unreadable notebook scores 0 of the full points, with a note and a feedback page;
- nbgrader's feedback shows hidden test code (in the cell and in tracebacks): nbgrader_config.py strips both.
"""
from __future__ import annotations

import csv
import json

import pytest

from fastlayers.cli.main import main
from tests.grading.fixtures.notebooks import NAME, SECRET
from tests.grading.fixtures.submissions import write_submissions


@pytest.mark.slow
def test_grade_every_kind_of_submission(course):
    # the student copy as `fastlayers release` writes it (release itself: test_honesty.py, test_commands.py)
    exercise = course / "exercises" / NAME / f"{NAME}.ipynb"
    released = json.loads(exercise.read_text())
    assert SECRET not in exercise.read_text()

    expected = write_submissions(course, released)
    assert main(["grade", "--course", str(course)]) == 0
    rows = {r["student_id"]: r for r in csv.DictReader((course / "grades.csv").open())}
    assert {s: float(r["score"]) for s, r in rows.items()} == expected
    assert all(float(r["max_score"]) == 5 for r in rows.values())
    assert "exit code 1" in rows["exits"]["note"] and rows["correct"]["note"] == ""
    assert "not a readable notebook" in rows["broken_json"]["note"]
    assert {r["score"] for r in rows.values()} <= {"0", "2", "3", "5"}  # printed alike: no 5.0 next to 2

    feedback = sorted((course / "feedback").glob(f"*/{NAME}/{NAME}.html"))
    assert {p.parts[-3] for p in feedback} == set(expected)  # every student gets a page
    for page in feedback:
        html = page.read_text()
        assert SECRET not in html and "BEGIN HIDDEN TESTS" not in html, page
    # the check's own time limit stopped the loop (not nbgrader's 300 s cell timeout)
    assert "no answer within the time limit of 2 s" in (course / "feedback" / "loops" / NAME / f"{NAME}.html").read_text()
    assert "FAIL add (0/2 points): wrong result" in \
        (course / "feedback" / "edits_test" / NAME / f"{NAME}.html").read_text()


@pytest.mark.slow
def test_parallel_grading_gives_the_serial_scores_and_skips_unchanged_submissions(course, tmp_path, capsys):
    import shutil
    exercise = course / "exercises" / NAME / f"{NAME}.ipynb"
    write_submissions(course, json.loads(exercise.read_text()))
    twin = tmp_path / "twin"
    shutil.copytree(course, twin)
    scores = {}
    for folder, jobs in ((course, "1"), (twin, "2")):
        assert main(["grade", "--course", str(folder), "--jobs", jobs]) == 0
        scores[jobs] = {r["student_id"]: (r["score"], r["note"]) for r in csv.DictReader((folder / "grades.csv").open())}
    assert scores["1"] == scores["2"]
    capsys.readouterr()
    assert main(["grade", "--course", str(twin), "--jobs", "2"]) == 0
    assert "9 submission(s): 9 unchanged since their last grade, 0 to grade" in capsys.readouterr().out
    again = {r["student_id"]: (r["score"], r["note"]) for r in csv.DictReader((twin / "grades.csv").open())}
    assert again == scores["2"]


@pytest.mark.slow
def test_plain_nbgrader_autograde_works_after_a_release(course):
    """An instructor who knows nbgrader can use its own commands on the released course."""
    import subprocess
    import sys
    assert main(["release", "--course", str(course)]) == 0
    folder = course / "submitted" / "ada" / NAME
    folder.mkdir(parents=True)
    folder.joinpath(f"{NAME}.ipynb").write_text((course / "exercises" / NAME / f"{NAME}.ipynb").read_text())
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", NAME], cwd=course, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (course / "autograded" / "ada" / NAME / f"{NAME}.ipynb").is_file()
    assert "Traceback" not in proc.stderr and "TCP without encryption" not in proc.stderr
