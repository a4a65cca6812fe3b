"""nbgrader autograde through the fastlayers grader: the scores in the gradebook come from outside the student's reach.

Grading infrastructure, not lesson material. `nbgrader_config.py` puts `GradeInIsolation` where nbgrader's own
`Execute` would run the submission in a Jupyter kernel. It grades the notebook with `fastlayers.checks.runner`
(the student's cells in their own process, the checks in this one, from the test cells nbgrader just restored
from its gradebook) and writes the outcome into the notebook as outputs: a passing test cell shows its PASS
line, a failing one an error holding the check's message. nbgrader then scores the cells from those outputs as
usual (`SaveAutoGrades`), so the gradebook, the feedback pages and `nbgrader export` all carry the grader's
scores; a cell a student made print "PASS" or a check a student patched in their kernel changes nothing.
A submission whose process dies keeps the points of the checks that passed before.
"""
from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_output
from traitlets import Float

from nbgrader.preprocessors import NbGraderPreprocessor


NOTES = ".fastlayers-grading.json"  # written next to the autograded notebook


class GradeInIsolation(NbGraderPreprocessor):
    """Grade the notebook with the fastlayers grader and record each cell's outcome as its outputs."""

    cell_timeout = Float(300.0, help="seconds one notebook cell may run before its process is stopped").tag(
        config=True)

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        from fastlayers.checks.runner import Job, PlanError, run_notebooks
        folder = Path((resources.get("metadata") or {}).get("path") or ".").resolve()
        name = resources.get("unique_key") or "notebook"
        scratch = folder / f".{name}.grading-{uuid.uuid4().hex[:8]}.ipynb"
        nbformat.write(nb, str(scratch))
        try:
            try:  # the test cells were just restored from the gradebook: they are the trusted ones
                result = run_notebooks([Job(str(scratch), trusted=str(scratch))], cell_timeout=self.cell_timeout)[0]
            except PlanError:
                result = run_notebooks([Job(str(scratch))], cell_timeout=self.cell_timeout)[0]
        finally:
            with contextlib.suppress(OSError):
                os.remove(scratch)
        record_outputs(nb, result)
        # what the grader noticed (a notebook process that died, a deleted test cell), for `fastlayers grade`
        (folder / NOTES).write_text(json.dumps({name: result.to_dict()}), encoding="utf-8")
        return nb, resources


def record_outputs(nb: Any, result: Any) -> None:
    """Write the grader's outcome into the notebook's cells (nbformat nodes): outputs and execution counts."""
    by_cell = {c.cell: c for c in result.checks}
    by_name = {c.name: c for c in result.checks}
    count = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        check = by_cell.get(index) or (by_name.get(meta.get("grade_id")) if meta.get("grade") and
                                       not meta.get("solution") else None)
        outputs = []
        if check is not None:
            if check.passed:
                outputs.append(new_output("stream", name="stdout", text=(check.output or f"PASS {check.name}") + "\n"))
            else:
                lines = (check.message or "failed").splitlines()
                outputs.append(new_output("error", ename="CheckFailure", evalue=lines[0], traceback=lines))
        elif str(index) in result.cell_output or index in result.cell_output:
            text = result.cell_output.get(index, result.cell_output.get(str(index), ""))
            if text.strip():
                outputs.append(new_output("stream", name="stdout", text=text if text.endswith("\n") else text + "\n"))
        else:
            continue  # not reached (the notebook's process ended before it)
        count += 1
        cell.execution_count = count
        cell.outputs = outputs
