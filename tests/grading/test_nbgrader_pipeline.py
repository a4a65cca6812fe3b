"""nbgrader end to end on the fixture exercise: release, made-up submissions, autograde, feedback, CSV export.

What nbgrader does on its own, and what the course adds (asserted below):
- edited or deleted test cells: nbgrader autograde restores them from the gradebook (no compensation needed);
- stderr from student code zeroes a cell in nbgrader: the checks capture it and print notes on stdout instead;
- an infinite loop would hold the cell until nbgrader's 300 s cell timeout: each check's own time limit stops it;
- a dead kernel (`os._exit`) or an unreadable notebook makes nbgrader drop the whole submission: `fastlayers grade`
  re-scores those with the process-isolated runner (checks that passed before the crash keep their points);
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
    assert "scored by the fastlayers runner" in rows["exits"]["note"] and rows["correct"]["note"] == ""

    feedback = sorted((course / "feedback").glob(f"*/{NAME}/{NAME}.html"))
    assert {p.parts[-3] for p in feedback} == set(expected) - {"exits", "broken_json"}
    for page in feedback:
        html = page.read_text()
        assert SECRET not in html and "BEGIN HIDDEN TESTS" not in html, page
    # the check's own time limit stopped the loop inside the Jupyter kernel (not nbgrader's 300 s cell timeout)
    assert "no answer within the time limit of 2 s" in (course / "feedback" / "loops" / NAME / f"{NAME}.html").read_text()
    assert "CheckFailure: add: wrong result" in (course / "feedback" / "edits_test" / NAME / f"{NAME}.html").read_text()
