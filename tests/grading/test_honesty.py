"""Honesty invariants over every graded exercise in solutions/: the graders pass the solutions, fail the untouched
exercises, catch every mutant in tests/mutants/, and the committed student copies are what nbgrader generates now."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from fastlayers.checks.notebook import find_notebooks, read_cells, autograded_cells
from fastlayers.checks.runner import Job, graded_job, run_notebooks
from tests.mutants import mutants_of, piece_tests

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = find_notebooks(ROOT / "solutions")
LESSONS = [nb.parent.name for nb in SOLUTIONS]
CELL_TIMEOUT = 120.0


def _exercise(name: str) -> Path:
    return ROOT / "exercises" / name / f"{name}_exercise.ipynb"


def run_lesson(name: str) -> dict:
    """Solution, untouched exercise and every mutant of one lesson, run in one shared runner process."""
    source = ROOT / "solutions" / name / f"{name}_exercise.ipynb"
    cells = read_cells(source)
    all_tests = {c.grade_id for c in autograded_cells(cells)}
    mutants = mutants_of(name[:2])
    jobs = [Job(str(source), label="solution")]
    if _exercise(name).is_file():
        jobs.append(graded_job(_exercise(name), label="exercise"))
    for m in mutants:
        # run only the mutated piece's checks: each piece is graded on its own (reference pieces around it)
        skip = all_tests - piece_tests(cells, m.cell)
        jobs.append(Job(str(source), replace={m.cell: m.source}, label=m.name, skip=skip))
    results = run_notebooks(jobs, share_process=True, cell_timeout=CELL_TIMEOUT)
    return {"results": {r.label: r for r in results}, "mutants": mutants, "cells": cells}


@pytest.fixture(scope="module")
def lesson_runs() -> dict:
    """run_lesson, once per lesson per test session."""
    cache: dict = {}

    def get(name: str) -> dict:
        if name not in cache:
            cache[name] = run_lesson(name)
        return cache[name]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("name", LESSONS)
def test_every_check_passes_on_the_solution(name, lesson_runs):
    res = lesson_runs(name)["results"]["solution"]
    failed = {c.name: c.message for c in res.checks if not c.passed}
    assert res.checks and not failed and not res.error, failed or res.error


@pytest.mark.slow
@pytest.mark.parametrize("name", LESSONS)
def test_every_check_fails_on_the_untouched_exercise(name, lesson_runs):
    if not _exercise(name).is_file():
        pytest.fail(f"exercises/{name}/ is missing: run `fastlayers release {name[:2]}` and commit it")
    res = lesson_runs(name)["results"]["exercise"]
    passed = [c.name for c in res.checks if c.passed]
    assert res.checks and not passed, f"checks that pass on an untouched exercise: {passed}"


@pytest.mark.slow
@pytest.mark.parametrize("name", LESSONS)
def test_mutants_are_caught_and_every_check_catches_one(name, lesson_runs):
    run = lesson_runs(name)
    mutants = run["mutants"]
    solution_ids = {c.grade_id for c in run["cells"] if c.is_solution}
    assert len(mutants) >= 5, f"tests/mutants/lesson{name[:2]}.py: at least five mutants are needed"
    bad_cells = sorted({m.cell for m in mutants} - solution_ids)
    assert not bad_cells, f"mutants name solution cells that don't exist: {bad_cells}"
    missed, catches = [], {c.grade_id: 0 for c in autograded_cells(run["cells"])}
    for m in mutants:
        res = run["results"][m.name]
        failing = [c.name for c in res.checks if not c.passed]
        if not failing:
            missed.append(m.name)
        for check_name in failing:
            catches[check_name] += 1
    idle = [name for name, n in catches.items() if n == 0]
    assert not missed, f"mutants no check catches: {missed}"
    assert not idle, f"checks that catch no mutant (add a mutant for each, or the check is too weak): {idle}"


@pytest.mark.parametrize("name", LESSONS)
def test_decorator_points_equal_cell_points(name):
    from fastlayers import checks
    from fastlayers.checks.framework import checks_in
    lesson = f"lesson{name[:2]}"
    defined = checks_in(getattr(checks, lesson))
    for cell in autograded_cells(read_cells(ROOT / "solutions" / name / f"{name}_exercise.ipynb")):
        call = re.search(rf"checks\.{lesson}\.(\w+)\(", cell.source)
        assert call, f"test cell {cell.grade_id} does not call checks.{lesson}.<name>(...)"
        assert call.group(1) == cell.grade_id, f"test cell {cell.grade_id} calls {call.group(1)}: names must match"
        assert cell.grade_id in defined, f"{lesson} has no @check named {cell.grade_id}"
        assert defined[cell.grade_id].points == cell.points, \
            f"{cell.grade_id}: @check(points={defined[cell.grade_id].points:g}) but the cell has {cell.points:g}"


def _normalised(path: Path) -> dict:
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        cell.pop("id", None)  # nbformat may add random cell ids
        if cell["cell_type"] == "code":
            cell["execution_count"], cell["outputs"] = None, []
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    return {"cells": nb["cells"], "nbformat": nb.get("nbformat")}


@pytest.mark.slow
def test_committed_exercises_equal_a_fresh_release(tmp_path):
    """`fastlayers release` (nbgrader generate_assignment) in a copy of the course writes the committed exercises."""
    from fastlayers.cli.main import main
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "models"))
    assert main(["release", "--course", str(tmp_path)]) == 0
    for name in LESSONS:
        fresh = tmp_path / "exercises" / name / f"{name}_exercise.ipynb"
        committed = _exercise(name)
        assert committed.is_file(), f"exercises/{name}/ is missing: run `fastlayers release {name[:2]}`"
        assert _normalised(committed) == _normalised(fresh), \
            f"exercises/{name} differs from what solutions/{name} generates: run `fastlayers release {name[:2]}`"
        assert "### BEGIN SOLUTION" not in fresh.read_text() and "### BEGIN HIDDEN TESTS" not in fresh.read_text()


if __name__ == "__main__":  # python -m tests.grading.test_honesty: the mutant catalogue and what catches each
    for lesson in LESSONS:
        run = run_lesson(lesson)
        print(f"\n### {lesson}\n| mutant | cell | caught by |\n|---|---|---|")
        for m in run["mutants"]:
            caught = [c.name for c in run["results"][m.name].checks if not c.passed]
            print(f"| {m.name} | {m.cell} | {', '.join(caught) or 'NOT CAUGHT'} |")


# ----------------------------------------------------------------------------------------------------------------
# No hint gives the answer away
# ----------------------------------------------------------------------------------------------------------------

_PREFIXES = re.compile(r"\b(self|math|torch|np|ref|F|nn)\.")


def _normal(code: str) -> str:
    code = code.split("#", 1)[0]
    code = re.sub(r"^\s*return\b", "", code)
    return re.sub(r"\s+", "", _PREFIXES.sub("", code)).rstrip(":")


def _answer_lines(source: Path) -> list[str]:
    """The distinctive code lines between BEGIN and END SOLUTION of every solution cell, normalised."""
    lines, inside = [], False
    for cell in read_cells(source):
        for line in cell.source.splitlines() if cell.is_solution else []:
            if "### BEGIN SOLUTION" in line:
                inside = True
            elif "### END SOLUTION" in line:
                inside = False
            elif inside and len(_normal(line)) >= 14:
                lines.append(_normal(line))
    return lines


def _string_constants(module_path: Path) -> list[str]:
    """Every string a check module can print: constants, and the fixed parts of f-strings joined."""
    import ast
    tree = ast.parse(module_path.read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append(node.value)
        elif isinstance(node, ast.JoinedStr):
            out.append("".join(v.value for v in node.values if isinstance(v, ast.Constant)))
    return out


def _leaks(texts: list[str], answers: list[str]) -> list[str]:
    return sorted({a for a in answers for t in texts if a in _normal(t)})


@pytest.mark.parametrize("name", LESSONS)
def test_no_hint_in_the_check_module_contains_the_answer(name):
    module = ROOT / "library" / "fastlayers" / "checks" / f"lesson{name[:2]}.py"
    leaks = _leaks(_string_constants(module), _answer_lines(ROOT / "solutions" / name / f"{name}_exercise.ipynb"))
    assert not leaks, f"{module.name}: hints quote solution code: {leaks}"


@pytest.mark.slow
@pytest.mark.parametrize("name", LESSONS)
def test_no_failure_message_contains_the_answer(name, lesson_runs):
    run = lesson_runs(name)
    # the `where:` line quotes the student's own code (here a mutant's), which may share a line with the answer
    messages = ["\n".join(ln for ln in c.message.splitlines() if not ln.lstrip().startswith("where:"))
                for r in run["results"].values() for c in r.checks if not c.passed]
    leaks = _leaks(messages, _answer_lines(ROOT / "solutions" / name / f"{name}_exercise.ipynb"))
    assert not leaks, f"failure messages quote solution code: {leaks}"
