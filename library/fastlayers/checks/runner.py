"""The grader: grade notebooks out of the student's reach and report each test cell's result.

    python -m fastlayers.checks.runner NOTEBOOK [NOTEBOOK ...] --json OUT [--cell-timeout S]

Grading infrastructure, not lesson material. The grade is computed here, in the grader's own process. Each
notebook's code cells run in a separate process (see `agent`) that the grader talks to over pipes it owns. At
each test cell the grader runs the check itself, from the trusted copy of the test cell (the one in `solutions/`,
as nbgrader restores it from its gradebook), and reaches the student's functions and classes only through
probes that send and receive plain data. Nothing the notebook's process does can report a pass: it can only
give answers, which the grader judges. A crash, `os._exit` or a hang in student code fails the checks of that
notebook from that point on and nothing else; every process the notebook started is ended with it.
"""
from __future__ import annotations

import argparse
import ast
import atexit
import contextlib
import importlib
import importlib.util
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from fastlayers.checks import agent as wire
from fastlayers.checks.bridge import Remote
from fastlayers.checks.framework import CheckInfo, checks_in
from fastlayers.checks.notebook import Cell, NotebookError, autograded_cells, lesson_of, read_cells

__all__ = ["Job", "CheckResult", "NotebookResult", "TestPlan", "PlanError", "run_notebooks", "run_notebook",
           "graded_job", "trusted_source", "plan_of", "main"]

DEFAULT_CELL_TIMEOUT = 300.0
GRACE = 5.0           # seconds past a check's own limit before its process is stopped
START_TIMEOUT = 120.0  # the notebook process imports torch: give a busy machine time
LOST = "lost the grading process that ran it (it was killed)"
DEFAULT_PRELOAD = ["numpy", "torch", "fastlayers.core", "fastlayers.data", "fastlayers.training"]


@dataclass
class Job:
    """One notebook to grade.

    `replace` maps grade_ids to new cell sources (mutants in tests); `trusted` is the notebook whose test cells
    define what is graded (default: this notebook's own); `skip` leaves out test cells by grade_id.
    """
    notebook: str
    replace: dict[str, str] = field(default_factory=dict)
    label: str = ""
    skip: set[str] = field(default_factory=set)
    trusted: str = ""


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
    """All test-cell outcomes of one notebook, a notebook-level note (crash, unreadable file) if any, and
    the captured output of every code cell (index -> stdout), for feedback."""
    notebook: str
    label: str
    lesson: str
    checks: list[CheckResult]
    error: str = ""
    seconds: float = 0.0
    cell_output: dict = field(default_factory=dict)

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
        return cls(d["notebook"], d["label"], d["lesson"], checks, d.get("error", ""), d.get("seconds", 0.0),
                   d.get("cell_output", {}))


# ----------------------------------------------------------------------------------------------------------------
# The plan: which checks each trusted test cell runs, on which of the notebook's names
# ----------------------------------------------------------------------------------------------------------------

class PlanError(ValueError):
    """A test cell that is not a list of check calls."""


@dataclass
class TestPlan:
    """One trusted test cell: its points and the checks it calls, each with the notebook names it passes."""
    grade_id: str
    points: float
    calls: list[tuple[CheckInfo, list[str]]]
    index: int = -1
    problem: str = ""  # why this cell cannot be graded (it scores 0 with this note)


_module_cache: dict[tuple[str, float], Any] = {}


def _checks_module(node: ast.expr, folder: Path) -> Any:
    """The module a test cell's `checks.lessonNN` or `name` refers to (a `name.py` next to the trusted notebook)."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "checks":
        if not (node.attr.startswith("lesson") and node.attr[6:].isdigit()):
            raise PlanError(f"checks.{node.attr} is not a lesson's checks")
        return importlib.import_module(f"fastlayers.checks.{node.attr}")
    if isinstance(node, ast.Name):
        path = folder / f"{node.id}.py"
        if not path.is_file():
            raise PlanError(f"no checks module {node.id}.py next to the notebook")
        key = (str(path.resolve()), path.stat().st_mtime)
        if key not in _module_cache:
            spec = importlib.util.spec_from_file_location(node.id, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[node.id] = module  # probes name their functions by module: the notebook imports the same
            spec.loader.exec_module(module)
            _module_cache[key] = module
        sys.modules[node.id] = _module_cache[key]
        return _module_cache[key]
    raise PlanError("a check is called as checks.lessonNN.<check>(...)")


def parse_test_cell(source: str, folder: Path) -> list[tuple[CheckInfo, list[str]]]:
    """The (check, argument names) calls of a test cell; PlanError if it holds anything else."""
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise PlanError(f"not valid Python ({err.msg})") from None
    calls = []
    for stmt in tree.body:
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and not call.keywords
                and all(isinstance(a, ast.Name) for a in call.args)):
            raise PlanError("a test cell holds only check calls such as checks.lesson06.sched_cos(sched_cos)")
        module = _checks_module(call.func.value, folder)
        found = checks_in(module)
        if call.func.attr not in found:
            raise PlanError(f"{module.__name__} has no check {call.func.attr!r}")
        calls.append((found[call.func.attr], [a.id for a in call.args]))
    if not calls:
        raise PlanError("the test cell calls no check")
    return calls


def plan_of(cells: list[Cell], folder: Path, strict: bool = True) -> dict[str, TestPlan]:
    """The plan of a notebook's test cells (by grade_id). With `strict=False` (a learner's own copy, no trusted
    source) a cell that is not a check call is kept with its problem, and points come from the checks."""
    plans: dict[str, TestPlan] = {}
    for c in autograded_cells(cells):
        gid = c.grade_id or f"cell {c.index}"
        try:
            calls = parse_test_cell(c.source, folder)
        except PlanError as err:
            if strict:
                raise PlanError(f"test cell {gid}: {err}") from None
            plans[gid] = TestPlan(gid, c.points, [], c.index, problem=(
                f"this test cell was changed ({err}): restore it from the original exercise to get its points"))
            continue
        points = c.points if strict else min(c.points, sum(info.points for info, _ in calls))
        plans[gid] = TestPlan(gid, points, calls, c.index)
    return plans


def _fallback_plan(lesson: str) -> dict[str, TestPlan]:
    """The checks of `fastlayers.checks.lessonNN`, for a notebook that cannot be read and has no trusted copy."""
    try:
        module = importlib.import_module(f"fastlayers.checks.lesson{lesson}")
    except ImportError:
        return {}
    return {name: TestPlan(name, info.points, [(info, [])]) for name, info in checks_in(module).items()}


def trusted_source(notebook: str | Path) -> Path | None:
    """The matching `solutions/NN_topic/<same name>.ipynb` of a learner's notebook in `<course>/<folder>/NN_topic/`."""
    nb = Path(notebook).resolve()
    source = nb.parents[1].parent / "solutions" / nb.parent.name / nb.name if len(nb.parents) > 2 else None
    return source if source is not None and source.is_file() else None


def graded_job(notebook: str | Path, label: str = "") -> Job:
    """A job for a learner's notebook graded by the ORIGINAL test cells (incl. hidden tests) of its `solutions/`
    copy when there is one: like nbgrader autograde, an edited or deleted test cell then changes nothing."""
    source = trusted_source(notebook)
    return Job(str(notebook), label=label, trusted=str(source) if source else "")


# ----------------------------------------------------------------------------------------------------------------
# The notebook's process, seen from the grader
# ----------------------------------------------------------------------------------------------------------------

class ProcessGone(Exception):
    """The notebook's process ended or was stopped; `reason` says how."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Server:
    """The agent process: preloads libraries once and runs one forked process per notebook."""

    def __init__(self, python: str, env: dict[str, str], preload: list[str], log_path: Path | None = None):
        self.python, self.env, self.preload = python, env, preload
        self.owns_log = log_path is None  # a scratch folder of its own, removed when it stops
        self.log_path = Path(tempfile.mkdtemp(prefix="fastlayers-agent-")) / "agent.log" if log_path is None \
            else log_path
        self.proc: subprocess.Popen | None = None
        self.rfd = self.wfd = -1
        self.fork = False

    def start(self) -> None:
        to_agent_r, to_agent_w = os.pipe()
        from_agent_r, from_agent_w = os.pipe()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [self.python, "-m", "fastlayers.checks.agent", str(to_agent_r), str(from_agent_w),
                 ",".join(self.preload)],
                pass_fds=(to_agent_r, from_agent_w), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=self.env, start_new_session=True)
        os.close(to_agent_r)
        os.close(from_agent_w)
        self.rfd, self.wfd = from_agent_r, to_agent_w
        try:
            _, hello = self.receive(time.monotonic() + START_TIMEOUT)
        except (wire.ChannelClosed, TimeoutError, ValueError) as err:
            self.stop()
            raise RuntimeError(f"the grading process did not start: {self.log_tail()}") from err
        self.fork = bool(hello.get("fork"))

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def send(self, message: dict) -> None:
        wire.send(self.wfd, message)

    def receive(self, deadline: float | None) -> tuple[int, dict]:
        """The next message: (0, the agent's own message) or (job number, a message of that job's process)."""
        payload = wire.read_frame(self.rfd, deadline)
        if payload[:1] == b"Z":
            message, job = json.loads(payload[1:]), 0
        elif payload[:1] == b"C" and len(payload) >= 1 + wire.JOB.size:
            job = wire.JOB.unpack(payload[1:1 + wire.JOB.size])[0]
            try:
                message = json.loads(payload[1 + wire.JOB.size:])
            except ValueError:
                message = {}
        else:
            raise ValueError("a frame of unknown kind")
        return job, message if isinstance(message, dict) else {}

    def log_tail(self, n: int = 600) -> str:
        try:
            return self.log_path.read_bytes()[-n:].decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def stop(self) -> None:
        """End the agent and everything in its session."""
        if self.proc is None:
            return
        with contextlib.suppress(OSError):
            wire.send(self.wfd, {"op": "bye"})
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(OSError, ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            self.proc.wait(timeout=5)
        for fd in (self.rfd, self.wfd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.proc = None
        if self.owns_log:
            shutil.rmtree(self.log_path.parent, ignore_errors=True)


class Channel:
    """Requests to one notebook's process, with deadlines; the `session` of `Remote` handles."""

    def __init__(self, server: Server, folder: str, cell_timeout: float, notebook_timeout: float | None = None,
                 memory_mb: int | None = None):
        self.server, self.cell_timeout = server, cell_timeout
        self.ids = itertools.count(1)
        self.gone: str = ""  # set once the process has ended: why
        self.running = ""    # what was running, for the note
        self.job = 0         # the agent's number for this notebook's process: messages of other jobs are stale
        self.notebook_timeout = notebook_timeout
        self.deadline = None if notebook_timeout is None else time.monotonic() + notebook_timeout
        server.send({"op": "job", "dir": folder, "memory_mb": memory_mb})
        ready = self._wait_for(lambda m: "ready" in m, time.monotonic() + START_TIMEOUT, own=True)
        self.job = int(ready["ready"])

    def _wait_for(self, accept, deadline: float | None, own: bool = False) -> dict:
        """The next message of this job that `accept`s (the agent's own when `own`); a job_exit ends the wait."""
        while True:
            try:
                job, message = self.server.receive(deadline)
            except TimeoutError:
                raise
            except (wire.ChannelClosed, OSError):
                raise ProcessGone(LOST) from None
            except ValueError:
                self._stop()
                raise ProcessGone("sent something that is not a message") from None
            if job == 0 and "job_exit" in message and message.get("job") == self.job:
                code, why = message.get("job_exit"), message.get("reason", "")
                raise ProcessGone(why or f"ended with exit code {code}")
            if (own and job == 0 or not own and job == self.job and self.job) and accept(message):
                return message
            # anything else (a stale or forged message) is ignored: only the awaited reply counts

    def request(self, message: dict, limit: float | None) -> dict:
        if self.gone:
            raise ProcessGone(self.gone)
        rid = next(self.ids)
        message["id"] = rid
        deadline = None if limit is None else time.monotonic() + limit
        whole = self.deadline is not None and (deadline is None or self.deadline < deadline)
        if whole:
            deadline = self.deadline
        try:
            self.server.send(message)
            return self._wait_for(lambda m: m.get("id") == rid and "ended" not in m, deadline)
        except TimeoutError:
            self._stop()
            self.gone = (f"ran past the notebook's time limit of {self.notebook_timeout:g} s" if whole else
                         f"was stopped after {limit:g} s without an answer")
            raise ProcessGone(self.gone) from None
        except (ProcessGone, OSError) as err:
            self.gone = getattr(err, "reason", str(err))
            raise ProcessGone(self.gone) from None

    def _stop(self) -> None:
        """Ask the agent to end the job process; if the agent itself does not answer, end the agent."""
        try:
            self.server.send({"op": "kill"})
            self._wait_for(lambda m: False, time.monotonic() + 10)
        except ProcessGone:
            return
        except Exception:  # noqa: BLE001  the agent is stuck: end it (a new one starts for the next notebook)
            pass
        self.server.stop()

    def cell(self, cell: Cell) -> dict:
        self.running = f"cell {cell.index}" + (f" ({cell.grade_id})" if cell.grade_id else "")
        return self.request({"op": "cell", "index": cell.index, "grade_id": cell.grade_id, "source": cell.source},
                            self.cell_timeout)

    def probe(self, name: str, ref: Any, args: Any, kwargs: Any, timeout: float | None) -> dict:
        """Run a probe in the notebook's process; a dead or stuck process gives a failure reply."""
        limit = None if timeout is None else timeout + GRACE
        try:
            return self.request({"op": "probe", "probe": name, "ref": ref, "args": args, "kwargs": kwargs,
                                 "timeout": timeout}, limit)
        except ProcessGone as gone:
            return {"failure": {"summary": f"the notebook's process {gone.reason}",
                                "called": _called(name, ref, args, kwargs),
                                "hint": "Your code ended or hung the notebook's process (os._exit, a crash, running "
                                        "out of memory, or an endless loop that ignores the time limit); the "
                                        "checks after this one could not run."}}

    def end(self) -> str:
        """Let the notebook's process finish (the agent then ends everything it started). Returns '' or, when the
        process had already ended on its own, how it ended."""
        if self.gone:
            return ""
        rid = next(self.ids)
        try:
            self.server.send({"op": "end", "id": rid})
            self._wait_for(lambda m: m.get("id") == rid and m.get("ended") is True, time.monotonic() + 30)
        except ProcessGone as gone:
            return gone.reason
        except (TimeoutError, OSError):
            self._stop()
            return "did not finish when asked to"
        try:
            self._wait_for(lambda m: False, time.monotonic() + 30)
        except ProcessGone:
            pass  # its job_exit: the normal end
        except (TimeoutError, OSError):
            self._stop()
        return ""


def _called(name: str, ref: Any, args: Any, kwargs: Any) -> str:
    """What a probe that never answered was doing, for the failure message."""
    if not isinstance(ref, str):
        return ""
    if not name.endswith((":_call_probe", ":_attempt_probe")):
        return f"your {ref}"
    from fastlayers.checks.failure import describe_call
    from fastlayers.checks.plain import decode
    try:
        return describe_call(Remote(None, ref, ref), *decode(args), **decode(kwargs))
    except Exception:  # noqa: BLE001
        return ref


# ----------------------------------------------------------------------------------------------------------------
# Grading a notebook
# ----------------------------------------------------------------------------------------------------------------

class _Prepared:
    """A job read and planned before any student code runs."""

    def __init__(self, job: Job):
        self.job = job
        self.error = ""
        self.cells: list[Cell] = []
        path = Path(job.notebook)
        trusted = Path(job.trusted) if job.trusted else None
        try:
            self.cells = read_cells(path)
        except NotebookError as err:
            self.error = str(err)
        if trusted is not None and trusted.resolve() != path.resolve():
            reference = read_cells(trusted)
            self.plan = plan_of(reference, trusted.parent)
            # like nbgrader's OverwriteCells: the course's locked cells (setup, statements) run as the course wrote
            # them, whatever the student's copy says
            locked = {c.grade_id: c for c in reference if c.locked and not c.is_solution and c.grade_id}
            for c in self.cells:
                if c.grade_id in locked and not c.is_test:
                    c.source, c.cell_type = locked[c.grade_id].source, locked[c.grade_id].cell_type
        elif self.error:
            self.plan = _fallback_plan(lesson_of(path))
        else:
            self.plan = plan_of(self.cells, path.parent, strict=True) if job.trusted else \
                plan_of(self.cells, path.parent, strict=False)
        present = {c.grade_id for c in self.cells}
        unknown = set(job.replace) - present
        if unknown and not self.error:
            raise ValueError(f"{job.notebook}: no cells with grade_id {sorted(unknown)} to replace")
        for c in self.cells:
            if c.grade_id in job.replace:
                c.source = job.replace[c.grade_id]
        self.plan = {gid: p for gid, p in self.plan.items() if gid not in job.skip}
        self.results = {gid: CheckResult(gid, p.points, cell=p.index) for gid, p in self.plan.items()}
        self.outputs: dict[int, str] = {}
        if self.error:
            note = (f"{self.error}. The notebook scores 0 of its {sum(p.points for p in self.plan.values()):g} "
                    f"points until it opens again.")
            for r in self.results.values():
                r.message = note

    def result(self, seconds: float) -> NotebookResult:
        job = self.job
        return NotebookResult(str(job.notebook), job.label or str(job.notebook), lesson_of(job.notebook),
                              list(self.results.values()), self.error, seconds, dict(self.outputs))

    def preload(self) -> list[str]:
        modules = {info.func.__module__ for p in self.plan.values() for info, _ in p.calls}
        extra = [m for mod in modules for m in getattr(sys.modules.get(mod), "PRELOAD", [])]
        return (DEFAULT_PRELOAD if any(m.startswith("fastlayers.") for m in modules) else []) + extra

    def run(self, channel: Channel) -> None:
        """Run the cells in order; at each trusted test cell, run its checks here, in the grader."""
        done: set[str] = set()
        try:
            for cell in self.cells:
                if cell.cell_type != "code":
                    continue
                if cell.is_test:
                    if cell.grade_id in self.plan and cell.grade_id not in done:
                        done.add(cell.grade_id)
                        self._grade(cell.grade_id, channel)
                    continue  # the notebook's own test cells never run: the grader's copies do
                reply = channel.cell(cell)
                text = reply.get("output", {}).get("stdout", "") if isinstance(reply.get("output"), dict) else ""
                self.outputs[cell.index] = str(text)[-5000:] + (f"\n{reply['error']}" if reply.get("error") else "")
        except ProcessGone as gone:
            self.error = f"the notebook's process {gone.reason} while running {channel.running}; " \
                         f"later checks could not run"
        for gid, r in self.results.items():
            if gid in done or r.message != "not run":
                continue
            r.message = self.error or ("the test cell was deleted from the notebook: restore it (copy it from the "
                                       "original exercise) to get these points")

    def _grade(self, gid: str, channel: Channel) -> None:
        plan, result = self.plan[gid], self.results[gid]
        channel.running = f"the check {gid}"
        if plan.problem:
            result.message = plan.problem
            return
        start, messages, outputs, passed = time.perf_counter(), [], [], True
        for info, names in plan.calls:
            if channel.gone:
                passed = False
                messages.append(f"{info.name}: the notebook's process {channel.gone}")
                continue
            outcome = info.run(*[Remote(channel, n, n) for n in names])
            outputs.extend(outcome.notes)
            if outcome.passed:
                outputs.append(outcome.text())
            else:
                passed = False
                messages.append(str(outcome.failure))
                outputs.append(str(outcome.failure))
        result.seconds, result.output = time.perf_counter() - start, "\n".join(outputs)
        result.passed, result.points = passed, plan.points if passed else 0.0
        result.message = "\n".join(messages)
        if channel.gone:
            raise ProcessGone(channel.gone)


def run_notebooks(jobs: list[Job], *, cell_timeout: float = DEFAULT_CELL_TIMEOUT, share_process: bool = True,
                  json_path: str | Path | None = None, python: str = sys.executable,
                  env: dict[str, str] | None = None, workers: int = 1, notebook_timeout: float | None = None,
                  memory_mb: int | None = None,
                  on_result: Callable[[int, NotebookResult], None] | None = None) -> list[NotebookResult]:
    """Grade each job's notebook and return one result per job, in order.

    Every notebook runs in a fresh process of its own (forked from an agent that loaded torch once). `workers`
    notebooks are graded at a time (each worker has its own agent); `notebook_timeout` bounds one notebook's
    whole run and `memory_mb` the memory its process may add. `on_result(index, result)` is called as each
    notebook finishes. `share_process` is accepted for compatibility and changes nothing.
    """
    del share_process
    prepared = [_Prepared(j) for j in jobs]  # read and plan everything before any student code runs
    timings = [0.0] * len(jobs)
    lock = threading.Lock()

    def save() -> None:
        if json_path is not None:
            with lock:
                data = [p.result(t).to_dict() for p, t in zip(prepared, timings)]
                tmp = Path(str(json_path) + ".tmp")
                tmp.write_text(json.dumps(data, indent=1))
                tmp.replace(json_path)

    todo = [i for i, p in enumerate(prepared) if not p.error and p.plan]
    save()
    if todo:
        child_env = dict(os.environ if env is None else env)
        child_env.setdefault("MPLBACKEND", "Agg")
        child_env["PYTHONUNBUFFERED"] = "1"
        preload = sorted({m for i in todo for m in prepared[i].preload()}, key=lambda m: (m != "numpy", m != "torch"))
        # the checks here need the same libraries: import them while the notebook's process starts
        warm = threading.Thread(target=_import_all, args=(preload,), daemon=True)
        warm.start()
        settings = (python, child_env, preload, cell_timeout, notebook_timeout, memory_mb)

        def grade(i: int, slot: int) -> None:
            start = time.perf_counter()
            _grade_one(prepared[i], slot, settings)
            timings[i] = time.perf_counter() - start
            save()

        if workers <= 1 or len(todo) == 1:
            for i in todo:
                grade(i, 0)
                if on_result:
                    on_result(i, prepared[i].result(timings[i]))
        else:
            import concurrent.futures
            import queue
            slots: queue.Queue = queue.Queue()
            for k in range(workers):
                slots.put(k)

            def task(i: int) -> int:
                slot = slots.get()
                try:
                    grade(i, slot)
                finally:
                    slots.put(slot)
                return i
            with concurrent.futures.ThreadPoolExecutor(workers) as pool:
                for done in concurrent.futures.as_completed([pool.submit(task, i) for i in todo]):
                    i = done.result()
                    if on_result:
                        on_result(i, prepared[i].result(timings[i]))
    for i, p in enumerate(prepared):
        if i not in todo and on_result:
            on_result(i, p.result(0.0))
    save()
    return [p.result(t) for p, t in zip(prepared, timings)]


def _grade_one(p: _Prepared, slot: int, settings: tuple) -> None:
    """Grade one prepared notebook on worker `slot`'s agent (a fresh agent once if the one in hand is dead)."""
    python, env, preload, cell_timeout, notebook_timeout, memory_mb = settings
    folder = str(Path(p.job.notebook).resolve().parent)
    for attempt in range(2):
        server = _server_for(python, env, preload, slot)
        try:
            channel = Channel(server, folder, cell_timeout, notebook_timeout, memory_mb)
            break
        except ProcessGone as gone:
            server.stop()
            if attempt:
                p.error = f"the notebook's process {gone.reason} before it started"
                for r in p.results.values():
                    r.message = p.error
                return
    p.run(channel)
    early = channel.end()
    if early and not p.error:
        p.error = f"the notebook's process {early} before grading finished"
    if not server.fork or channel.gone.startswith(LOST):
        server.stop()


def _import_all(modules: list[str]) -> None:
    for module in modules:
        with contextlib.suppress(Exception):
            importlib.import_module(module)


_servers: dict[tuple, Server] = {}


def _server_for(python: str, env: dict[str, str], preload: list[str], slot: int = 0) -> Server:
    """A running agent for these settings and worker slot: started once and reused (each notebook still gets a
    fresh process)."""
    key = (python, tuple(sorted(env.items())), tuple(preload), slot)
    server = _servers.get(key)
    if server is None or not server.alive:
        server = Server(python, env, preload)
        server.start()
        _servers[key] = server
    return server


def stop_servers() -> None:
    """End every agent this process started (run at exit)."""
    for server in list(_servers.values()):
        server.stop()
    _servers.clear()


atexit.register(stop_servers)


def run_notebook(path: str | Path, **kwargs: Any) -> NotebookResult:
    """Grade one notebook by its own test cells; see `run_notebooks` for the options."""
    return run_notebooks([Job(str(path))], **kwargs)[0]


def main(argv: list[str] | None = None) -> int:
    """Command line: grade notebooks, print one line per check, write JSON; exit 0 only when every check passed."""
    parser = argparse.ArgumentParser(prog="python -m fastlayers.checks.runner", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", help="notebooks to grade")
    parser.add_argument("--json", help="write results here (rewritten as results come in)")
    parser.add_argument("--cell-timeout", type=float, default=DEFAULT_CELL_TIMEOUT,
                        help="seconds one cell may run before its process is stopped (default %(default)s)")
    args = parser.parse_args(argv)
    missing = [nb for nb in args.notebooks if not Path(nb).is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    results = run_notebooks([graded_job(nb) for nb in args.notebooks], cell_timeout=args.cell_timeout,
                            json_path=args.json)
    for res in results:
        print(f"{res.notebook}: {res.score:g}/{res.max_score:g} points")
        for c in res.checks:
            first = c.message.splitlines()[0] if c.message else ""
            print(f"  {'PASS' if c.passed else 'FAIL'} {c.name} ({c.points:g}/{c.max_points:g}) {first}")
        if res.error:
            print(f"  note: {res.error.splitlines()[0]}")
    return 0 if all(c.passed for r in results for c in r.checks) and not any(r.error for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
