"""The lesson notebooks in course/ run top to bottom on CPU, offline, each within a minute."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from fastlayers.cli.refresh_cmd import code_hash, execute, output_kinds

ROOT = Path(__file__).resolve().parents[2]
OWN_TESTS = {"09_sensor_sequences", "10_text"}  # executed by tests/sensor and tests/text, with their own checks
ALL = sorted(p.stem for p in (ROOT / "course").glob("[0-9][0-9]_*.ipynb"))
LESSONS = [name for name in ALL if name not in OWN_TESTS]
LIMIT_S = 60


@pytest.mark.slow
@pytest.mark.parametrize("name", LESSONS)
def test_course_notebook_runs(name: str) -> None:
    path = ROOT / "course" / f"{name}.ipynb"
    committed = nbformat.read(path, as_version=4)
    nb, seconds = execute(path, timeout=LIMIT_S)  # from a scratch folder: nothing it saves lands in the repository
    assert seconds < LIMIT_S, f"{path.name} took {seconds:.1f} s to run; lessons must run in under {LIMIT_S} s on CPU"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, f"{path.name}: a cell raised {errors[0]['ename']}: {errors[0]['evalue']}"
    # the committed outputs are what the current code shows: the same kinds of output, cell by cell
    assert output_kinds(nb) == output_kinds(committed), \
        f"{path.name}: its saved outputs are stale; run `fastlayers lessons --execute {name[:2]}` and commit it"


@pytest.mark.parametrize("name", ALL)
def test_course_notebook_ships_with_the_outputs_of_its_current_code(name: str) -> None:
    nb = nbformat.read(ROOT / "course" / f"{name}.ipynb", as_version=4)
    stale = f"run `fastlayers lessons --execute {name[:2]}` and commit course/{name}.ipynb"
    assert nb.metadata.get("fastlayers", {}).get("code_sha256") == code_hash(nb), f"{name}: code changed since it ran; {stale}"
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert all(c.execution_count for c in code), f"{name}: not every code cell ran; {stale}"


@pytest.mark.parametrize("name", ALL)
def test_course_notebook_points_to_its_exercise(name: str) -> None:
    nb = nbformat.read(ROOT / "course" / f"{name}.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    found = re.findall(rf"exercises/({name[:2]}_\w+)/(\1_exercise)\.ipynb", text)  # its own name: no twin tabs
    assert found, f"course/{name}.ipynb must point to its exercise notebook exercises/{name[:2]}_<topic>/..."
    for folder, stem in found:
        assert (ROOT / "exercises" / folder / f"{stem}.ipynb").exists(), f"{name}: exercises/{folder} is missing"
