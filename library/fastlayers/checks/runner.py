"""Run graded notebooks in separate processes and report each test cell's result.

    python -m fastlayers.checks.runner NOTEBOOK [NOTEBOOK ...] --json OUT [--cell-timeout S]

Each notebook runs in a fresh Python process (plain `exec` of its code cells in order, no Jupyter kernel), so a
crash or `os._exit` in student code fails the remaining checks of that notebook and nothing else. The child
process reports every cell as it goes; the JSON file is rewritten after every event, so it is useful even when
the run is interrupted. A cell that runs longer than the safety timeout gets its process killed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fastlayers.checks.notebook import Cell, NotebookError, lesson_of, read_cells, autograded_cells

__all__ = ["Job", "CheckResult", "NotebookResult", "run_notebooks", "run_notebook", "graded_job", "main"]

DEFAULT_CELL_TIMEOUT = 300.0


@dataclass
class Job:
    """One notebook to run; `replace` maps grade_ids to new cell sources (used for mutants and trusted test cells)."""
    notebook: str
    replace: dict[str, str] = field(default_factory=dict)
    label: str = ""
    # Test cells that must exist (grade_id -> points): a missing one is reported as failed instead of vanishing.
    expected_tests: dict[str, float] = field(default_factory=dict)
    # Test cells to leave out (grade_ids), e.g. the other pieces' checks when only one piece was changed.
    skip: set[str] = field(default_factory=set)


@dataclass
class CheckResult:
    """The outcome of one autograded test cell."""
    name: str
    max_points: float
    points: float = 0.0
    passed: bool = False
    message: str = "not run"
    output: str = ""
    seconds: float = 0.0
    cell: int = -1


@dataclass
class NotebookResult:
    """All test-cell outcomes of one notebook run, plus a notebook-level error (crash, unreadable file) if any."""
    notebook: str
    label: str
    lesson: str
    checks: list[CheckResult]
    error: str = ""
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(c.points for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.max_points for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(score=self.score, max_score=self.max_score)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "NotebookResult":
        checks = [CheckResult(**c) for c in d["checks"]]
        return cls(d["notebook"], d["label"], d["lesson"], checks, d.get("error", ""), d.get("seconds", 0.0))


# ----------------------------------------------------------------------------------------------------------------
# Child side: execute cells, write one JSON line per event
# ----------------------------------------------------------------------------------------------------------------

def _python_source(source: str) -> str:
    """Cell source as plain Python: IPython magics and shell escapes are skipped (they don't grade anything)."""
    if source.lstrip().startswith("%%"):
        return ""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            line = line[: len(line) - len(stripped)] + "pass  # IPython magic skipped by the runner"
        lines.append(line)
    return "\n".join(lines)


def _error_text(err: BaseException) -> str:
    from fastlayers.checks.framework import CheckFailure
    if isinstance(err, CheckFailure):
        return str(err)
    import traceback
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename.startswith("<cell")]
    place = f" (in {frames[-1].filename[1:-1]}, line {frames[-1].lineno})" if frames else ""
    text = f"{type(err).__name__}: {err}{place}"
    if isinstance(err, NameError):
        text += "\n  hint:     a cell above failed or was not run, so this name was never defined: fix that cell first"
    return text


def _child(spec_path: str, events_path: str) -> None:
    import builtins
    import contextlib
    import io

    spec = json.loads(Path(spec_path).read_text())
    with open(events_path, "a", encoding="utf-8") as events:
        def emit(**event: Any) -> None:
            events.write(json.dumps(event) + "\n")
            events.flush()

        for j, job in enumerate(spec["jobs"]):
            nb = Path(job["notebook"]).resolve()
            os.chdir(nb.parent)  # notebooks open files relative to their own folder
            if str(nb.parent) not in sys.path:
                sys.path.insert(0, str(nb.parent))
            namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
            for cell in job["cells"]:
                emit(job=j, cell=cell["index"], event="start", time=time.time())
                out, err = io.StringIO(), io.StringIO()
                error, start = "", time.perf_counter()
                try:
                    code = compile(_python_source(cell["source"]), f"<cell {cell['index']}: {cell['grade_id']}>",
                                   "exec")
                    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                        exec(code, namespace)  # noqa: S102  running the notebook is the point
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # noqa: BLE001  SystemExit too: the notebook goes on, like a kernel
                    error = _error_text(exc)
                emit(job=j, cell=cell["index"], event="done", error=error, stdout=out.getvalue()[-20000:],
                     stderr=err.getvalue()[-5000:], seconds=time.perf_counter() - start)
            emit(job=j, event="end")


# ----------------------------------------------------------------------------------------------------------------
# Parent side: prepare jobs, watch the child, turn events into results
# ----------------------------------------------------------------------------------------------------------------

class _Prepared:
    def __init__(self, job: Job):
        self.job = job
        self.error = ""
        self.cells: list[Cell] = []
        try:
            self.cells = [c for c in read_cells(job.notebook) if c.cell_type == "code"]
        except NotebookError as err:
            self.error = str(err)
        present = {c.grade_id for c in self.cells}
        unknown = set(job.replace) - present
        if unknown and not self.error:
            raise ValueError(f"{job.notebook}: no cells with grade_id {sorted(unknown)} to replace")
        for c in self.cells:
            if c.grade_id in job.replace:
                c.source = job.replace[c.grade_id]
        self.cells = [c for c in self.cells if not (c.is_test and c.grade_id in job.skip)]
        self.results = {c.index: CheckResult(c.grade_id or f"cell {c.index}", c.points, cell=c.index)
                        for c in autograded_cells(self.cells)}
        self.missing = [CheckResult(name, pts, message="the test cell was deleted from the notebook: "
                                    "restore it (copy it from the original exercise) to get these points")
                        for name, pts in job.expected_tests.items() if name not in present]
        if self.error:
            for r in self.results.values():
                r.message = self.error
            for r in self.missing:
                r.message = self.error

    def result(self, seconds: float) -> NotebookResult:
        job = self.job
        return NotebookResult(str(job.notebook), job.label or str(job.notebook), lesson_of(job.notebook),
                              list(self.results.values()) + self.missing, self.error, seconds)

    def apply(self, event: dict[str, Any]) -> None:
        r = self.results.get(event.get("cell", -1))
        if r is None or event["event"] != "done":
            return
        r.seconds, r.output = event["seconds"], event["stdout"]
        if event["error"]:
            r.message = event["error"]
        elif event["stderr"].strip():
            # nbgrader gives 0 points to a test cell with stderr output: report the same here
            r.message = "the test cell wrote to stderr (graded as a failure):\n" + event["stderr"][-1000:]
        else:
            r.passed, r.points, r.message = True, r.max_points, ""

    def fail_rest(self, cell_index: int, reason: str) -> None:
        for r in self.results.values():
            if r.message == "not run" and r.cell >= cell_index:
                r.message = reason


def run_notebooks(jobs: list[Job], *, cell_timeout: float = DEFAULT_CELL_TIMEOUT, share_process: bool = False,
                  json_path: str | Path | None = None, python: str = sys.executable,
                  env: dict[str, str] | None = None) -> list[NotebookResult]:
    """Run each job's notebook and return one result per job, in order.

    Each job gets a fresh process, unless `share_process=True`: then jobs run one after another in one process
    (fresh globals each; much faster when the notebooks import torch) and a new process is started only after
    a crash or a timeout.
    """
    prepared = [_Prepared(j) for j in jobs]
    timings = [0.0] * len(jobs)
    todo = [i for i, p in enumerate(prepared) if not p.error]

    def save() -> None:
        if json_path is not None:
            data = [p.result(t).to_dict() for p, t in zip(prepared, timings)]
            tmp = Path(str(json_path) + ".tmp")
            tmp.write_text(json.dumps(data, indent=1))
            tmp.replace(json_path)

    save()
    while todo:
        batch = todo if share_process else todo[:1]
        done = _run_batch([prepared[i] for i in batch], batch, timings, cell_timeout, python, env, save)
        todo = [i for i in todo if i not in done]
    save()
    return [p.result(t) for p, t in zip(prepared, timings)]


def _run_batch(batch: list[_Prepared], ids: list[int], timings: list[float], cell_timeout: float, python: str,
               env: dict[str, str] | None, save) -> set[int]:
    """Run jobs in one child process until it finishes or dies; returns the ids of jobs that are settled."""
    settled: set[int] = set()
    with tempfile.TemporaryDirectory(prefix="fastlayers-run-") as tmp:
        spec, events, log = Path(tmp, "spec.json"), Path(tmp, "events.jsonl"), Path(tmp, "child.log")
        spec.write_text(json.dumps({"jobs": [
            {"notebook": str(Path(p.job.notebook).resolve()),
             "cells": [{"index": c.index, "grade_id": c.grade_id, "source": c.source} for c in p.cells]}
            for p in batch]}))
        events.touch()
        child_env = dict(os.environ if env is None else env)
        child_env.setdefault("MPLBACKEND", "Agg")
        child_env["PYTHONUNBUFFERED"] = "1"
        with open(log, "wb") as log_file:
            proc = subprocess.Popen([python, "-m", "fastlayers.checks.runner", "--child", str(spec), str(events)],
                                    stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    env=child_env)
        job_start = time.perf_counter()
        current: tuple[int, int] | None = None  # (job, cell) running now
        cell_started = time.monotonic()
        offset, killed = 0, False
        with open(events, encoding="utf-8") as stream:
            while True:
                finished = proc.poll() is not None
                stream.seek(offset)
                chunk = stream.read()
                complete = chunk[: chunk.rfind("\n") + 1]  # only whole lines; the rest is still being written
                offset += len(complete.encode("utf-8"))
                for line in complete.splitlines():
                    event = json.loads(line)
                    j = event["job"]
                    if event["event"] == "start":
                        current, cell_started = (j, event["cell"]), time.monotonic()
                    elif event["event"] == "done":
                        batch[j].apply(event)
                        current = None
                    elif event["event"] == "end":
                        timings[ids[j]] = time.perf_counter() - job_start
                        job_start = time.perf_counter()
                        settled.add(ids[j])
                if complete:
                    save()
                if finished:
                    break
                if current is not None and time.monotonic() - cell_started > cell_timeout:
                    proc.kill()
                    killed = True
                    proc.wait()
                    continue
                time.sleep(0.02)
        if proc.returncode != 0 or killed:
            # The job that was running when the process ended loses its remaining checks; later jobs re-run.
            unsettled = [k for k in range(len(batch)) if ids[k] not in settled]
            j, cell = current if current is not None else (unsettled[0] if unsettled else len(batch), 0)
            if j < len(batch):
                tail = log.read_text(errors="replace")[-800:].strip()
                gid = next((c.grade_id for c in batch[j].cells if c.index == cell and c.grade_id), "")
                where = f"cell {cell} ({gid})" if gid else f"cell {cell}"
                if killed:
                    reason = (f"{where} was still running after the safety timeout of {cell_timeout:g} s; "
                              f"the notebook's process was stopped")
                else:
                    reason = (f"the notebook's process ended with exit code {proc.returncode} while running "
                              f"{where} (os._exit, a crash, or running out of memory); later checks could not run")
                    if tail:
                        reason += f"\n  last output: {tail}"
                batch[j].fail_rest(cell, reason)
                batch[j].error = reason
                timings[ids[j]] = time.perf_counter() - job_start
                settled.add(ids[j])
            save()
        elif len(settled) < len(batch):
            raise RuntimeError(f"runner child exited early without reporting; see {log.read_text()[-2000:]}")
    return settled


def graded_job(notebook: str | Path, label: str = "") -> Job:
    """A job for a learner's notebook that runs the ORIGINAL test cells (incl. hidden tests) from the matching
    `solutions/NN_topic/NN_topic.ipynb` next to its folder, when there is one: like nbgrader autograde, an edited
    or deleted test cell then changes nothing."""
    nb = Path(notebook)
    job = Job(str(nb), label=label)
    source = nb.resolve().parents[1].parent / "solutions" / nb.parent.name / nb.name
    if not source.is_file() or source == nb.resolve():
        return job
    try:
        reference = {c.grade_id: c for c in autograded_cells(read_cells(source))}
        present = {c.grade_id for c in read_cells(nb)}
    except NotebookError:
        return job  # an unreadable learner notebook is reported when it runs
    job.replace = {gid: c.source for gid, c in reference.items() if gid in present}
    job.expected_tests = {gid: c.points for gid, c in reference.items()}
    return job


def run_notebook(path: str | Path, **kwargs: Any) -> NotebookResult:
    """Run one notebook in a fresh process; see `run_notebooks` for the options."""
    return run_notebooks([Job(str(path))], **kwargs)[0]


def main(argv: list[str] | None = None) -> int:
    """Command line: run notebooks, print one line per check, write JSON; exit 0 only when every check passed."""
    parser = argparse.ArgumentParser(prog="python -m fastlayers.checks.runner", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to run")
    parser.add_argument("--json", help="write results here (rewritten as results come in)")
    parser.add_argument("--cell-timeout", type=float, default=DEFAULT_CELL_TIMEOUT,
                        help="seconds one cell may run before its process is stopped (default %(default)s)")
    parser.add_argument("--child", nargs=2, metavar=("SPEC", "EVENTS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    if not args.notebooks:
        parser.error("give at least one notebook")
    missing = [nb for nb in args.notebooks if not Path(nb).is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    results = run_notebooks([Job(nb) for nb in args.notebooks], cell_timeout=args.cell_timeout, json_path=args.json)
    for res in results:
        print(f"{res.notebook}: {res.score:g}/{res.max_score:g} points")
        for c in res.checks:
            first = c.message.splitlines()[0] if c.message else ""
            print(f"  {'PASS' if c.passed else 'FAIL'} {c.name} ({c.points:g}/{c.max_points:g}) {first}")
    return 0 if all(c.passed for r in results for c in r.checks) else 1


if __name__ == "__main__":
    sys.exit(main())
