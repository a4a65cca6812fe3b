"""`fastlayers check` / `progress` and the pytest plugin, on the small fixture course."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fastlayers.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def test_check_reports_not_done_and_fails(course, monkeypatch, capsys):
    monkeypatch.chdir(course)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "00     add" in out and "0/2  FAIL  not done yet" in out and "total: 0/5 points, 0 of 2" in out


def test_check_solutions_full_marks(course, monkeypatch, capsys):
    monkeypatch.chdir(course)
    assert main(["check", "00", "--notebooks", "solutions"]) == 0
    assert "total: 5/5 points, 2 of 2 checks pass" in capsys.readouterr().out


def test_check_uses_the_original_test_cells(course, monkeypatch, capsys):
    """A learner who edits a test cell to `pass` does not get its points locally either."""
    import json
    nb_path = course / "exercises" / "00_fixture" / "00_fixture.ipynb"
    nb = json.loads(nb_path.read_text())
    for cell in nb["cells"]:
        gid = cell["metadata"]["nbgrader"]["grade_id"]
        if gid == "add":
            cell["source"] = "pass"
        if gid == "add_solution":
            cell["source"] = "def add(a, b):\n    return a * b"
    nb_path.write_text(json.dumps(nb))
    monkeypatch.chdir(course)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "0/2  FAIL  wrong result" in out and "FAIL add (0/2" not in out
    assert main(["check", "-v"]) == 1
    assert "FAIL add (0/2 points): wrong result\n  called:   add(1, 2)" in capsys.readouterr().out


@pytest.mark.parametrize("argv, code, message", [
    (["check", "--notebooks", "nowhere"], 3, "no notebook folder nowhere/"),
    (["check", "07"], 3, "no graded notebooks for lesson(s) 07"),
    (["check", "six"], 2, "'six' is not a lesson number"),
    (["release", "--course", "/"], 3, "has no nbgrader_config.py"),
    (["grade"], 3, "no submissions"),
])
def test_bad_input_gets_a_clear_error(course, monkeypatch, capsys, argv, code, message):
    monkeypatch.chdir(course)
    assert main(argv) == code
    assert message in capsys.readouterr().err


def test_progress_writes_a_page_with_failures_in_one_line_and_the_history(course, monkeypatch, capsys):
    monkeypatch.chdir(course)
    assert main(["progress", "--notebooks", "solutions", "--html", "report.html"]) == 0
    out = capsys.readouterr().out
    assert "overall" in out and "5/5" in out
    page = (course / "report.html").read_text()
    assert "5/5" in page and "every check passes" in page and "second" in page  # no chart after one run
    assert main(["check"]) == 1  # the untouched exercises: a second recorded run
    assert main(["progress", "--html", "report.html"]) == 0
    page = (course / "report.html").read_text()
    assert "<svg" in page and "<polyline" in page
    assert page.count("not done yet") == 1 and "add, mean" in page  # one line per lesson, not a block per check
    history = (course / ".fastlayers-history.jsonl").read_text().splitlines()
    assert len(history) == 3


def _pytest(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--strict-markers", *args],
                          cwd=cwd, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=""))


def test_pytest_plugin_one_item_per_check_with_lesson_markers(course):
    import json
    exercise = course / "exercises" / "00_fixture" / "00_fixture.ipynb"
    nb = json.loads(exercise.read_text())
    nb["cells"] = [c for c in nb["cells"] if c["metadata"]["nbgrader"]["grade_id"] != "add"]  # a deleted test cell
    exercise.write_text(json.dumps(nb))
    proc = _pytest(["solutions", "exercises", "-v"], course)
    out = proc.stdout
    assert proc.returncode == 1, out
    assert "solutions/00_fixture/00_fixture.ipynb::add PASSED" in out
    assert "exercises/00_fixture/00_fixture.ipynb::mean FAILED" in out
    assert "exercises/00_fixture/00_fixture.ipynb::add FAILED" in out and "test cell was deleted" in out
    assert "raised NotImplementedError" in out and "exercises/00_fixture/00_fixture.ipynb: 0/5 points" in out
    proc = _pytest(["solutions", "exercises", "-m", "lesson00 and not lesson06", "-q", "-k", "solutions"], course)
    assert proc.returncode == 0 and "2 passed, 2 deselected" in proc.stdout, proc.stdout


def test_pytest_plugin_collects_nothing_where_not_pointed(course):
    (course / "tests").mkdir()
    (course / "tests" / "test_x.py").write_text("def test_x():\n    pass\n")
    proc = _pytest(["tests", "-q"], course)
    assert proc.returncode == 0 and "1 passed" in proc.stdout, proc.stdout


def test_release_refusal_sees_exactly_what_nbgrader_would_write():
    """The edit detector's idea of a fresh solution cell matches every committed (nbgrader-generated) exercise."""
    from fastlayers.checks.notebook import find_notebooks
    from fastlayers.cli.grade_cmd import edited_cells
    sources = find_notebooks(ROOT / "solutions")
    compared = 0
    for src in sources:
        exercise = ROOT / "exercises" / src.parent.name / src.name
        if exercise.is_file():
            assert edited_cells(src, exercise) == [], src.parent.name
            compared += 1
    assert compared >= 1


def test_release_refuses_an_edited_exercise(course, capsys):
    import json
    from fastlayers.cli.grade_cmd import edited_cells
    source = course / "solutions" / "00_fixture" / "00_fixture.ipynb"
    exercise = course / "exercises" / "00_fixture" / "00_fixture.ipynb"
    assert edited_cells(source, exercise) == []
    nb = json.loads(exercise.read_text())
    nb["cells"][2]["source"] = "def add(a, b):\n    return a + b"
    exercise.write_text(json.dumps(nb))
    before = exercise.read_text()
    assert edited_cells(source, exercise) == ["add_solution"]
    assert main(["release", "--course", str(course)]) == 1
    out = capsys.readouterr().out
    assert "NOT released" in out and "--force" in out and exercise.read_text() == before
