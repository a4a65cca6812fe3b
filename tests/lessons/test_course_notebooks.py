"""The lesson notebooks in course/ run top to bottom on CPU, offline, each within a minute."""
from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
OWN_TESTS = {"09_sensor_sequences", "10_text"}  # executed by tests/sensor and tests/text, with their own checks
ALL = sorted(p.stem for p in (ROOT / "course").glob("[0-9][0-9]_*.ipynb"))
LESSONS = [name for name in ALL if name not in OWN_TESTS]
LIMIT_S = 60


@pytest.mark.slow
@pytest.mark.parametrize("name", LESSONS)
def test_course_notebook_runs(name: str, tmp_path: Path) -> None:
    path = ROOT / "course" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    # run from a scratch folder so nothing the notebook saves lands in the repository
    client = NotebookClient(nb, timeout=LIMIT_S, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    assert seconds < LIMIT_S, f"{path.name} took {seconds:.1f} s to run; lessons must run in under {LIMIT_S} s on CPU"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, f"{path.name}: a cell raised {errors[0]['ename']}: {errors[0]['evalue']}"


@pytest.mark.parametrize("name", ALL)
def test_course_notebook_points_to_its_exercise(name: str) -> None:
    nb = nbformat.read(ROOT / "course" / f"{name}.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    found = re.findall(rf"exercises/({name[:2]}_\w+)/(\1)\.ipynb", text)
    assert found, f"course/{name}.ipynb must point to its exercise notebook exercises/{name[:2]}_<topic>/..."
    for folder, stem in found:
        assert (ROOT / "exercises" / folder / f"{stem}.ipynb").exists(), f"{name}: exercises/{folder} is missing"
