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
        from fastlayers.checks.runner import Job, NotebookResult, PlanError, run_notebooks
        folder = Path((resources.get("metadata") or {}).get("path") or ".").resolve()
        name = resources.get("unique_key") or "notebook"
        cached = self._cached(resources)
        if cached is not None:  # graded by `fastlayers grade` just before, on the same submitted file
            result = NotebookResult.from_dict(cached)
            record_outputs(nb, result, by_name_only=True)
            (folder / NOTES).write_text(json.dumps({name: cached}), encoding="utf-8")
            return nb, resources
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


    def _cached(self, resources: dict) -> dict | None:
        """The result `fastlayers grade` stored for this very submission (same file, same checks), if any."""
        cache = os.environ.get(CACHE_ENV)
        info = resources.get("nbgrader") or {}
        coursedir = getattr(getattr(self.parent, "parent", None), "coursedir", None)
        if not cache or coursedir is None or not {"student", "assignment", "notebook"} <= set(info):
            return None
        submitted = Path(coursedir.format_path(coursedir.submitted_directory, info["student"], info["assignment"]),
                         f"{info['notebook']}.ipynb")
        source = Path(coursedir.format_path(coursedir.source_directory, ".", info["assignment"]),
                      f"{info['notebook']}.ipynb")
        return read_cached(Path(cache), submitted, source)


CACHE_ENV = "FASTLAYERS_GRADE_CACHE"


def grade_key(submitted: Path, source: Path) -> str:
    """What a grade depends on: the submitted file, the trusted notebook, the check code and this library."""
    import hashlib
    import fastlayers
    digest = hashlib.sha256(fastlayers.__version__.encode())
    for path in (submitted, source):
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    checks = Path(__file__).parent
    for module in sorted(checks.glob("*.py")):
        digest.update(module.read_bytes())
    for module in sorted(source.parent.glob("*.py")):  # checks that live next to the trusted notebook
        digest.update(module.read_bytes())
    return digest.hexdigest()


def read_cached(cache: Path, submitted: Path, source: Path) -> dict | None:
    path = cache / f"{grade_key(submitted, source)}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_cached(cache: Path, submitted: Path, source: Path, result: Any) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{grade_key(submitted, source)}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result.to_dict()), encoding="utf-8")
    tmp.replace(path)


def record_outputs(nb: Any, result: Any, by_name_only: bool = False) -> None:
    """Write the grader's outcome into the notebook's cells (nbformat nodes): outputs and execution counts."""
    by_cell = {} if by_name_only else {c.cell: c for c in result.checks}
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
        elif by_name_only:
            outputs = []
        elif str(index) in result.cell_output or index in result.cell_output:
            text = result.cell_output.get(index, result.cell_output.get(str(index), ""))
            if text.strip():
                outputs.append(new_output("stream", name="stdout", text=text if text.endswith("\n") else text + "\n"))
        else:
            continue  # not reached (the notebook's process ended before it)
        count += 1
        cell.execution_count = count
        cell.outputs = outputs
