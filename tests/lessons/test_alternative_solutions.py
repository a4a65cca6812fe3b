"""Fair graders: correct solutions written differently from the reference solution still get full marks."""
from __future__ import annotations

from pathlib import Path

import pytest

from fastlayers.checks.notebook import autograded_cells, find_notebooks, read_cells
from fastlayers.checks.runner import Job, run_notebooks
from tests.alternatives import alternatives_of
from tests.mutants import piece_tests

ROOT = Path(__file__).resolve().parents[2]
LESSONS = [nb.parent.name for nb in find_notebooks(ROOT / "solutions")]


@pytest.mark.slow
@pytest.mark.parametrize("name", LESSONS)
def test_alternative_correct_solutions_get_full_marks(name: str) -> None:
    source = ROOT / "solutions" / name / f"{name}_exercise.ipynb"
    cells = read_cells(source)
    all_tests = {c.grade_id for c in autograded_cells(cells)}
    jobs = []
    for gid, sources in alternatives_of(name[:2]).items():
        for k, src in enumerate(sources):
            # each alternative graded on its own piece's checks, the reference pieces around it
            jobs.append(Job(str(source), replace={gid: src}, label=f"{name}: alternative {k} of {gid}",
                            skip=all_tests - piece_tests(cells, gid)))
    if not jobs:
        pytest.skip(f"no alternatives for {name} in tests/alternatives/lesson{name[:2]}.py")
    for result in run_notebooks(jobs):
        failed = {c.name: c.message for c in result.checks if not c.passed}
        assert not result.error and not failed, f"{result.label}: {result.error or failed}"
        assert result.checks and result.score == result.max_score > 0
