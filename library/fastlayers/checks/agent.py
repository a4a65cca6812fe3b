"""The notebook's side of grading: runs a student's cells and answers probes with plain data.

Grading infrastructure, not lesson material. Started by the grader (`runner`) as

    python -m fastlayers.checks.agent IN_FD OUT_FD PRELOAD

it imports the heavy libraries once (PRELOAD, comma-separated modules), then serves jobs: for each notebook it
forks a fresh process that runs the notebook's code cells and answers `probe` requests, and relays that
process's messages to the grader, whole frames only. Nothing a job process says is a grade: the grader judges
the plain data it receives. When a job ends (or dies, or is stopped by the grader) this process ends every
process the job started: it is their subreaper on Linux, so even a daemon that detached itself is found.
On systems without `fork` each job runs in this process, which then exits.
"""
from __future__ import annotations

import builtins
import contextlib
import importlib
import io
import json
import linecache
import os
import select
import signal
import struct
import sys
import time
from typing import Any

HEADER = struct.Struct(">Q")
JOB = struct.Struct(">Q")
# Frames from this process to the grader start with one byte: b"Z" for this process's own messages (JSON), b"C"
# and a job number for a message of that job's process, relayed whole. A job's process cannot write a "Z" frame:
# everything it writes reaches the grader inside a "C" frame of its own job number.
MAX_FRAME = 120 * 2 ** 20  # a reply may carry 64 MB of tensor data, base64-encoded


class ChannelClosed(EOFError):
    """The other end of a channel went away."""


# ----------------------------------------------------------------------------------------------------------------
# Frames: an 8-byte length, then that many bytes of JSON
# ----------------------------------------------------------------------------------------------------------------

def write_frame(fd: int, payload: bytes) -> None:
    data = HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def send(fd: int, message: dict) -> None:
    write_frame(fd, json.dumps(message).encode("utf-8"))


def read_exact(fd: int, n: int, deadline: float | None = None) -> bytes:
    """Read exactly n bytes (ChannelClosed on EOF, TimeoutError past `deadline`, a time.monotonic value)."""
    chunks, left = [], n
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise ChannelClosed
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, deadline: float | None = None) -> bytes:
    size = HEADER.unpack(read_exact(fd, HEADER.size, deadline))[0]
    if size > MAX_FRAME:
        raise ValueError(f"a message of {size} bytes is over the limit")
    return read_exact(fd, size, deadline)


def receive(fd: int, deadline: float | None = None) -> dict:
    message = json.loads(read_frame(fd, deadline))
    if not isinstance(message, dict):
        raise ValueError("a message must be a JSON object")
    return message


# ----------------------------------------------------------------------------------------------------------------
# Processes: subreaper, and ending every process a job started
# ----------------------------------------------------------------------------------------------------------------

def become_subreaper() -> bool:
    """Make orphaned descendants children of this process (Linux), so they can be found and ended."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except Exception:  # noqa: BLE001
        return False


def _children(pid: int) -> list[int]:
    found = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(name))
    return found


def end_descendants(group: int | None = None, settle: float = 5.0) -> int:
    """Kill (SIGKILL) every descendant of this process and reap them; returns how many were ended."""
    ended = 0
    if group is not None:
        with contextlib.suppress(OSError):
            os.killpg(group, signal.SIGKILL)
    stop = time.monotonic() + settle
    quiet = 0
    while time.monotonic() < stop and quiet < 3:
        kids = _children(os.getpid())
        for pid in kids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                ended += 1
        reaped = _reap()
        quiet = quiet + 1 if not kids and not reaped else 0
        time.sleep(0.01)
    return ended


def _reap() -> int:
    count = 0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return count
        if pid == 0:
            return count
        count += 1


def limit_memory(megabytes: Any) -> None:
    """Let this process grow by at most `megabytes` more address space (Linux; a MemoryError past it)."""
    if not megabytes or not sys.platform.startswith("linux"):
        return
    import resource
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/statm") as f:
            current = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = current + int(megabytes) * 2 ** 20
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def exit_code(status: int) -> int:
    """A wait status as an exit code (128 + N when killed by signal N)."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1


# ----------------------------------------------------------------------------------------------------------------
# The job process: the notebook's code runs here
# ----------------------------------------------------------------------------------------------------------------

def python_source(source: str) -> str:
    """Cell source as plain Python: IPython magics and shell escapes are skipped (they don't grade anything)."""
    if source.lstrip().startswith("%%"):
        return ""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            line = line[: len(line) - len(stripped)] + "pass  # IPython magic skipped by the grader"
        lines.append(line)
    return "\n".join(lines)


class Job:
    """One notebook's namespace, its cells' errors, and the objects probes kept."""

    def __init__(self, folder: str):
        os.chdir(folder)  # notebooks open files relative to their own folder
        if folder not in sys.path:
            sys.path.insert(0, folder)
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        self.kept: dict[int, Any] = {}
        self.kept_piece: dict[int, str] = {}  # the notebook name a kept object came from (its piece)
        self.errors: list[str] = []  # "cell <gid> raised ..." for each cell that failed

    def cell(self, index: int, grade_id: str, source: str) -> dict:
        from fastlayers.checks.failure import student_place
        filename = f"<cell {index}: {grade_id or 'cell ' + str(index)}>"
        code_text = python_source(source)
        linecache.cache[filename] = (len(code_text), None, code_text.splitlines(True), filename)
        out, err = io.StringIO(), io.StringIO()
        error, start = "", time.perf_counter()
        try:
            code = compile(code_text, filename, "exec")
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                exec(code, self.namespace)  # noqa: S102  running the notebook is the point
        except BaseException as exc:  # noqa: BLE001  SystemExit too: the notebook goes on, like a kernel
            place = student_place(exc) if not isinstance(exc, SyntaxError) else f"line {exc.lineno}"
            message = str(exc).strip()
            error = f"{type(exc).__name__}{': ' + message if message else ''}" + (f" ({place})" if place else "")
            self.errors.append(f"cell {grade_id or index} raised {error}")
        return {"error": error[:2000], "output": {"stdout": out.getvalue()[-20000:], "stderr": err.getvalue()[-5000:]},
                "seconds": time.perf_counter() - start}

    def probe(self, name: str, ref: Any, args: Any, kwargs: Any, timeout: float | None) -> dict:
        from fastlayers.checks import plain
        from fastlayers.checks.bridge import capture_output, resolve_probe, run_probe, time_limit
        from fastlayers.checks.failure import CheckFailure
        from fastlayers.checks.watch import ReferenceWatch
        if isinstance(ref, int):
            if ref not in self.kept:
                return {"failure": CheckFailure("an object kept by an earlier probe is gone").to_dict()}
            target = self.kept[ref]
            piece = self.kept_piece.get(ref, "")
        elif isinstance(ref, str) and ref in self.namespace:
            target = self.namespace[ref]
        else:
            hint = (f"The cell that defines `{ref}` must run without errors first ({self.errors[-1]})."
                    if self.errors else f"Define `{ref}` in its cell, keeping the name the exercise gives it.")
            return {"failure": CheckFailure(f"`{ref}` is not defined", expected=f"<{ref} defined by your cell>",
                                            got="<nothing by that name>", hint=hint).to_dict()}
        if isinstance(ref, str):
            piece = ref
            own = reference_own(ref, target)
            if own:
                return {"failure": CheckFailure(f"`{ref}` is the reference library's own {own}", called=ref,
                                                hint="The exercise is to write this piece yourself; the reference "
                                                     "library is there to build the pieces around it.").to_dict()}
        try:
            fn = resolve_probe(name)
            args, kwargs = plain.decode(args), plain.decode(kwargs)
        except Exception as err:  # noqa: BLE001
            return {"failure": CheckFailure("the grader could not run this check here",
                                            got=f"<{type(err).__name__}: {err}>").to_dict()}
        with capture_output() as captured:
            with time_limit(timeout), ReferenceWatch(piece) as watch:
                reply = run_probe(fn, target, tuple(args), dict(kwargs), self.kept)
        if "kept" in reply:
            self.kept_piece[int(reply["kept"])] = piece
        if watch.verdict:
            reply = {"failure": CheckFailure(watch.verdict, called=reply.get("failure", {}).get("called", "") or piece,
                                             hint=watch.hint).to_dict()}
        reply["output"] = captured.as_dict()
        return reply


def reference_own(name: str, obj: Any) -> str:
    """'function'/'class' when `obj` is the reference library's own piece of that name (or a bare subclass of it)."""
    from fastlayers.checks.watch import from_library
    target = getattr(obj, "func", obj)  # functools.partial(ref.piece, ...)
    if isinstance(target, type):
        same = [c for c in target.__mro__ if from_library(c) and c.__name__.lower() == name.lower()]
        return "class" if same else ""
    if callable(target) and from_library(target) and getattr(target, "__name__", "").lower() == name.lower():
        return "function"
    return ""


def serve_job(rfd: int, emit: Any, folder: str) -> None:
    """Answer one notebook's requests until 'end' (or until the grader goes away); `emit(bytes)` sends a reply."""
    job = Job(folder)
    while True:
        try:
            request = receive(rfd)
        except (ChannelClosed, ValueError):
            return
        op, rid = request.get("op"), request.get("id")
        if op == "end":
            emit(json.dumps({"id": rid, "ended": True}).encode())
            return
        if op == "cell":
            reply = job.cell(int(request["index"]), str(request.get("grade_id", "")), str(request["source"]))
        elif op == "probe":
            reply = job.probe(str(request["probe"]), request["ref"], request["args"], request["kwargs"],
                              request.get("timeout"))
        else:
            reply = {"failure": {"summary": f"unknown request {op!r}"}}
        reply["id"] = rid
        try:
            payload = json.dumps(reply).encode()
        except (TypeError, ValueError) as err:  # e.g. a value JSON cannot hold
            payload = json.dumps({"id": rid, "failure": {"summary": "the answer cannot be graded",
                                                         "got": f"<{err}>"}}).encode()
        emit(payload)


# ----------------------------------------------------------------------------------------------------------------
# The server: preloaded libraries, one forked process per job, frames relayed whole
# ----------------------------------------------------------------------------------------------------------------

def _flush_std() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def own(wfd: int, message: dict) -> None:
    """Send this process's own message (a "Z" frame)."""
    write_frame(wfd, b"Z" + json.dumps(message).encode("utf-8"))


def relayed(wfd: int, job: int, payload: bytes) -> None:
    """Send a job process's message (a "C" frame tagged with its job number)."""
    write_frame(wfd, b"C" + JOB.pack(job) + payload)


def _run_forked_job(rfd: int, wfd: int, request: dict, number: int) -> None:
    """Fork the job process, relay frames both ways until it ends, end its descendants, report its exit code."""
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    _flush_std()
    pid = os.fork()
    if pid == 0:  # the job process
        code = 0
        try:
            os.setpgid(0, 0)
            for fd in (rfd, wfd, to_child_w, from_child_r):
                os.close(fd)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            limit_memory(request.get("memory_mb"))
            serve_job(to_child_r, lambda payload: write_frame(from_child_w, payload), str(request["dir"]))
        except BaseException:  # noqa: BLE001
            code = 70
        finally:
            _flush_std()
            os._exit(code)
    os.close(to_child_r)
    os.close(from_child_w)
    own(wfd, {"ready": number, "pid": pid})
    status, reason = None, ""
    try:
        while status is None:
            ready = select.select([rfd, from_child_r], [], [], 0.05)[0]
            if from_child_r in ready:
                try:
                    payload = read_frame(from_child_r, time.monotonic() + 10)
                    relayed(wfd, number, payload)
                except ChannelClosed:
                    status = _wait_or_kill(pid, 2.0)
                    break
                except (ValueError, TimeoutError):
                    reason = "sent something that is not a whole message"
                    status = _wait_or_kill(pid, 0.0)
                    break
            if rfd in ready:
                try:
                    payload = read_frame(rfd)
                except ChannelClosed:  # the grader went away: end the job and stop serving
                    _wait_or_kill(pid, 0.0)
                    raise
                if json.loads(payload).get("op") == "kill":
                    reason = "was stopped by the grader"
                    status = _wait_or_kill(pid, 0.0)
                    break
                try:
                    write_frame(to_child_w, payload)
                except OSError:  # the job process closed its end
                    pass
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                # let the last whole message through before reporting the exit
                with contextlib.suppress(ChannelClosed, ValueError, TimeoutError, OSError):
                    while select.select([from_child_r], [], [], 0)[0]:
                        relayed(wfd, number, read_frame(from_child_r, time.monotonic() + 1))
                status = st
    finally:
        ended = end_descendants(pid)
        for fd in (to_child_w, from_child_r):
            with contextlib.suppress(OSError):
                os.close(fd)
    own(wfd, {"job_exit": exit_code(status) if status is not None else 137, "job": number, "reason": reason,
              "leftover_processes": ended})


def _wait_or_kill(pid: int, grace: float) -> int:
    stop = time.monotonic() + grace
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() >= stop:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            return os.waitpid(pid, 0)[1]
        time.sleep(0.01)


def serve(rfd: int, wfd: int, preload: list[str]) -> None:
    """Preload, then run jobs one after another until told 'bye' or the grader goes away."""
    for fd in (rfd, wfd):
        os.set_inheritable(fd, False)
    become_subreaper()
    for module in preload:
        with contextlib.suppress(Exception):
            importlib.import_module(module)
    can_fork = hasattr(os, "fork") and sys.platform.startswith("linux")
    own(wfd, {"server": os.getpid(), "fork": can_fork})
    number = 0
    while True:
        try:
            request = receive(rfd)
        except (ChannelClosed, ValueError):
            return
        if request.get("op") == "bye":
            return
        if request.get("op") != "job":
            continue
        number += 1
        if can_fork:
            try:
                _run_forked_job(rfd, wfd, request, number)
            except ChannelClosed:
                return
        else:  # one job in this very process; the grader starts a new server for the next one
            own(wfd, {"ready": number, "pid": os.getpid()})
            serve_job(rfd, lambda payload: relayed(wfd, number, payload), str(request["dir"]))
            return


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    rfd, wfd = int(argv[0]), int(argv[1])
    preload = [m for m in (argv[2] if len(argv) > 2 else "").split(",") if m]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader decides when to stop
    serve(rfd, wfd, preload)
    end_descendants(settle=1.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
