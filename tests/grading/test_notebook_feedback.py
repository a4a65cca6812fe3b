"""Feedback in a real Jupyter kernel: a failing check shows its message only, and "Run All" reaches every check.

Exercise 06 runs through nbclient (the machinery JupyterLab's "Run All" and nbgrader's Validate use), once as a
student's kernel (failures printed, every cell runs) and once as nbgrader's Validate runs it (failures raised, so
the cell fails, rendered as the message alone).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from fastlayers.checks.notebook import read_cells
from fastlayers.cli.refresh_cmd import environment

ROOT = Path(__file__).resolve().parents[2]
LESSON = "06_schedules"
WRONG_SCHED_COS = "def sched_cos(start, end, pos):\n    return start + pos * (end - start)\n"
MAX_LINES = 12


def _run(tmp_path: Path, env: dict[str, str]) -> nbformat.NotebookNode:
    nb = nbformat.read(ROOT / "exercises" / LESSON / f"{LESSON}_exercise.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "sched_cos_solution":
            cell.source = WRONG_SCHED_COS
    with environment(**env):  # the kernel inherits this process's environment
        client = NotebookClient(nb, timeout=240, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": str(tmp_path)}})
        client.execute()
    return nb


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "error":
            parts.append("\n".join(out.traceback))
        elif "data" in out:
            parts.append(str(out.data.get("text/plain", "")))
    return re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(parts))


def _check_sources() -> list[str]:
    """Distinctive lines of the check module: none may reach the student."""
    source = (ROOT / "library" / "fastlayers" / "checks" / "lesson06.py").read_text()
    return [ln.strip() for ln in source.splitlines() if len(ln.strip()) > 30 and not ln.strip().startswith(("#", '"'))]


def _assert_clean(text: str) -> None:
    assert "Traceback" not in text and 'File "' not in text, text
    assert not re.search(r"0x[0-9a-f]{6,}", text), text
    for line in _check_sources():
        assert line not in text, line


@pytest.mark.slow
def test_run_all_in_a_student_kernel_answers_every_check(tmp_path):
    env = {"NBGRADER_EXECUTION": "", "FASTLAYERS_CHECKS_RAISE": ""}
    nb = _run(tmp_path, {k: v for k, v in env.items()})
    tests = {c.grade_id for c in read_cells(ROOT / "exercises" / LESSON / f"{LESSON}_exercise.ipynb") if c.is_test}
    answered = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert cell.execution_count is not None, "Run All stopped before this cell"
        assert not any(o.output_type == "error" for o in cell.outputs), _text(cell)
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in tests:
            answered[gid] = _text(cell)
    assert set(answered) == tests
    wrong = answered["sched_cos"]
    assert "FAIL sched_cos (0/2 points): wrong result" in wrong and "straight line" in wrong
    assert "grade that counts is computed separately" in "\n".join(answered.values())
    for gid, text in answered.items():
        _assert_clean(text)
        assert ("FAIL" in text) != ("PASS" in text), text
    feedback = [ln for ln in wrong.splitlines() if ln.strip() and not ln.startswith("(These checks")]
    assert len(feedback) <= MAX_LINES, wrong


@pytest.mark.slow
def test_under_nbgrader_validate_a_failing_check_fails_its_cell_with_the_message_alone(tmp_path):
    nb = _run(tmp_path, {"NBGRADER_EXECUTION": "validate"})
    errors = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell for cell in nb.cells
              if any(o.output_type == "error" for o in cell.get("outputs", []))}
    assert "sched_cos" in errors and "valley" in errors  # Run All still reaches the last check (allow_errors)
    error = next(o for o in errors["sched_cos"].outputs if o.output_type == "error")
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", ln) for ln in error.traceback]
    assert lines[0] == "FAIL sched_cos (0/2 points): wrong result" and len(lines) <= MAX_LINES, lines
    _assert_clean("\n".join(lines))
    print(json.dumps({"lines of a failing check under Validate": len(lines)}))
