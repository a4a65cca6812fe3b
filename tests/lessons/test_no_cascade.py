"""No cascade: a student who has solved only one piece of an exercise gets exactly that piece's points."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from fastlayers.checks.notebook import find_notebooks
from fastlayers.checks.runner import Job, run_notebooks

ROOT = Path(__file__).resolve().parents[2]
LESSONS = [nb.parent.name for nb in find_notebooks(ROOT / "solutions")]


def _pieces(name: str) -> dict[str, tuple[str, set[str]]]:
    """solution grade_id -> (its solution source, the test cells under it up to the next solution cell)."""
    nb = nbformat.read(ROOT / "solutions" / name / f"{name}_exercise.ipynb", as_version=4)
    pieces: dict[str, tuple[str, set[str]]] = {}
    current = None
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            current = meta["grade_id"]
            pieces[current] = (cell.source, set())
        elif meta.get("grade") and current:
            pieces[current][1].add(meta["grade_id"])
    return pieces


@pytest.mark.slow
def test_one_solved_piece_earns_exactly_its_own_checks() -> None:
    jobs, expected = [], {}
    for name in LESSONS:  # one batch of runs for all lessons: the runner shares processes between them
        pieces = _pieces(name)
        assert pieces and all(tests for _, tests in pieces.values()), f"{name}: every solution cell needs a test cell"
        exercise = str(ROOT / "exercises" / name / f"{name}_exercise.ipynb")
        for cell, (source, tests) in pieces.items():
            jobs.append(Job(exercise, replace={cell: source}, label=f"{name} with only {cell} solved",
                            trusted=str(ROOT / "solutions" / name / f"{name}_exercise.ipynb")))
            expected[jobs[-1].label] = tests
    for result in run_notebooks(jobs):
        passed = {c.name for c in result.checks if c.passed}
        assert passed == expected[result.label], \
            f"{result.label}: checks passing {sorted(passed)}, expected exactly {sorted(expected[result.label])}"
