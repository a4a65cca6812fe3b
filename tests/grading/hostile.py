"""Hostile notebooks: exercise 06 as a student who wants points without the work might edit it.

Each case is the released exercise with some solution cells replaced, and the exact score the grade that counts
must give it (`fastlayers check`, `fastlayers grade` / nbgrader, the pytest plugin). Solved pieces use the real
solution; everything else is a cheat or a process-level attack.
"""
from __future__ import annotations

from dataclasses import dataclass, field

LESSON = "06_schedules"
CHECK_NAMES = ["sched_cos", "combine_scheds", "one_cycle_scheds", "param_scheduler", "valley"]
POINTS = {"sched_cos": 2, "combine_scheds": 2, "one_cycle_scheds": 3, "param_scheduler": 3, "valley": 2}
MARKER = "fastlayers-hostile-leftover"  # in the command line of processes a notebook leaves behind


@dataclass
class Case:
    """`cells`: solution grade_id -> source (None: the real solution); `score`: what it must get."""
    name: str
    cells: dict = field(default_factory=dict)
    score: float = 0.0
    note: str = ""  # text the notebook-level note must contain
    raw: str = ""   # the whole file instead (an unreadable notebook)


NOP_CHECKS = f"""
_nop = lambda *a, **k: None
from types import SimpleNamespace
checks = SimpleNamespace(lesson06=SimpleNamespace(**{{n: _nop for n in {CHECK_NAMES!r}}}))
"""

SETATTR = f"""
for _n in {CHECK_NAMES!r}:
    setattr(checks.lesson06, _n, lambda *a, **k: None)
"""

SYS_MODULES = f"""
import sys, types
_fake = types.ModuleType('fastlayers.checks.lesson06')
for _n in {CHECK_NAMES!r}:
    setattr(_fake, _n, lambda *a, **k: print('PASS'))
sys.modules['fastlayers.checks.lesson06'] = _fake
import fastlayers.checks
fastlayers.checks.lesson06 = _fake
sys.modules['fastlayers.checks'].__dict__['lesson06'] = _fake
"""

FRAMEWORK = """
import fastlayers.checks.framework as _fw, fastlayers.checks.bridge as _br, fastlayers.checks.plain as _pl
_fw.first_difference = lambda *a, **k: None
_fw._where = lambda *a, **k: None
_fw.expect_close = _fw.expect_equal = _fw.expect_type = _fw.fail = lambda *a, **k: None
_fw.CheckInfo.run = lambda self, *a, **k: _fw.Outcome(self.name, self.points, True)
_br.reply_value = lambda *a, **k: None
_pl.encode = lambda value: 0.5
"""

PROBES = """
import fastlayers.checks.lesson06 as _L
_L.apply_each = lambda fn, cases: [0.5 for _ in cases]
_L.combined_values = lambda *a, **k: {'callable': True, 'values': [], 'pcts_after': a[1], 'seen': []}
_L.valley_on = lambda *a, **k: {'out': (0.1, (0.1, 0.5)), 'inputs_kept': True}
"""

ALWAYS_EQUAL = """
class Yes(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return False
    def __gt__(self, other): return False
    __hash__ = float.__hash__
    def __float__(self): return 0.0
    def __abs__(self): return Yes(0.0)
    def __sub__(self, other): return Yes(0.0)
    __rsub__ = __sub__

class Anything:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __getitem__(self, key): return Anything()
    def __call__(self, *a, **k): return Yes(0.0)
    def __len__(self): return 2
    def __iter__(self): return iter([Yes(0.0), Anything()])

def sched_cos(start, end, pos):
    return Yes(12345.0)
"""

ALWAYS_EQUAL_REST = {
    "combine_scheds_solution": "def combine_scheds(pcts, scheds):\n    return lambda pos: Yes(1.0)\n",
    "one_cycle_scheds_solution": "def one_cycle_scheds(lr_max, div=25., div_final=1e5, pct_start=0.25, "
                                 "moms=(0.95, 0.85, 0.95)):\n    return Anything()\n",
    "valley_solution": "def valley(lrs, losses, num_it):\n    return Anything()\n",
}

FORGE_CHANNEL = """
import json, os, struct, sys
def _frame(message):
    data = json.dumps(message).encode()
    return struct.pack('>Q', len(data)) + data
forged = [{'id': i, 'value': 0.5} for i in range(1, 400)] + [{'job_exit': 0}, {'ready': 1}]
for fd in range(3, 256):
    for message in forged:
        try:
            os.write(fd, _frame(message))
        except OSError:
            break
for path in sys.argv[1:]:
    try:
        with open(path, 'a') as f:
            for name in %r:
                f.write(json.dumps({'job': 0, 'cell': 4, 'event': 'done', 'error': '', 'stdout': 'PASS ' + name,
                                    'stderr': '', 'seconds': 0.0}) + '\\n')
    except OSError:
        pass
os._exit(0)
""" % (CHECK_NAMES,)

FORGE_CHANNEL_ALIVE = """
import json, os, struct
def _frame(message):
    data = json.dumps(message).encode()
    return struct.pack('>Q', len(data)) + data
for fd in range(3, 64):
    try:
        os.write(fd, _frame({'id': 2, 'value': [0.5] * 48}) + b'garbage that is not a frame')
    except OSError:
        pass
def sched_cos(start, end, pos):
    return 0.5
"""

LEFTOVERS = f"""
import subprocess, sys
subprocess.Popen(['sleep', '90', '#{MARKER}'])
subprocess.Popen([sys.executable, '-c', 'import os, time\\nif os.fork() == 0:\\n    os.setsid()\\n    time.sleep(90)',
                  '{MARKER}'], start_new_session=True)
"""

KILL_PARENT = """
import os, signal
os.kill(os.getppid(), signal.SIGKILL)
"""


def _with_solutions(cheat_cell: str, cheat: str, solved: list[str]) -> dict:
    cells = {f"{n}_solution": None for n in solved}
    cells[cheat_cell] = cheat
    return cells


# Pieces that hand the work to the library's own version: a wrapper, a closure around it, a lambda.
WRAPPERS = {
    "sched_cos_solution": "def sched_cos(start, end, pos):\n    return ref.sched_cos(start, end, pos)\n",
    "combine_scheds_solution": ("def combine_scheds(pcts, scheds):\n    inner = ref.combine_scheds(pcts, scheds)\n"
                                "    return lambda pos: inner(pos)\n"),
    "valley_solution": "valley = lambda lrs, losses, num_it: ref.valley(lrs, losses, num_it)\n",
}

# The wrapper again, after switching off the trace function the grader watches the piece with.
HIDES_FROM_WATCH = """
import sys
def sched_cos(start, end, pos):
    sys.settrace(None)
    return ref.sched_cos(start, end, pos)
"""


def cases() -> list[Case]:
    """The hostile notebooks and the score each must get (out of 12)."""
    first = "sched_cos_solution"
    stub_sched = "\ndef sched_cos(start, end, pos):\n    raise NotImplementedError()\n"
    return [
        Case("untouched"),
        Case("rebinds checks", {first: NOP_CHECKS + stub_sched}),
        Case("rebinds checks after solving sched_cos", _with_solutions(
            "combine_scheds_solution", NOP_CHECKS, ["sched_cos"]), score=2),
        Case("setattr on the check module", {first: SETATTR + stub_sched}),
        Case("replaces sys.modules", {first: SYS_MODULES + stub_sched}),
        Case("patches the framework", {first: FRAMEWORK + stub_sched}),
        Case("patches the probes", {first: PROBES + stub_sched}),
        Case("returns objects equal to everything", {first: ALWAYS_EQUAL, **ALWAYS_EQUAL_REST}),
        Case("uses the reference's own pieces", {first: "sched_cos = ref.sched_cos\n",
                                                "param_scheduler_solution": "class ParamScheduler(ref.ParamScheduler):"
                                                                            "\n    pass\n"}),
        Case("wraps the reference's own pieces", dict(WRAPPERS)),
        Case("wraps a piece and hides from the watch", {first: HIDES_FROM_WATCH}),
        Case("forges the result channel and exits", {first: FORGE_CHANNEL}, note="exit code 0"),
        Case("forges the result channel and carries on", {first: FORGE_CHANNEL_ALIVE}),
        Case("os._exit(0) after three pieces", _with_solutions(
            "param_scheduler_solution", "import os\nos._exit(0)\n", ["sched_cos", "combine_scheds",
                                                                   "one_cycle_scheds"]),
             score=7, note="exit code 0"),
        Case("os._exit(3) inside a check", {**_with_solutions("valley_solution", "import os\ndef valley(lrs, losses, "
                                                              "num_it):\n    os._exit(3)\n",
                                                              ["sched_cos", "combine_scheds", "one_cycle_scheds",
                                                               "param_scheduler"])},
             score=10, note="exit code 3"),
        Case("leaves processes behind", _with_solutions("combine_scheds_solution", LEFTOVERS, ["sched_cos"]),
             score=2),
        Case("kills the grading process", _with_solutions("combine_scheds_solution", KILL_PARENT, ["sched_cos"]),
             score=2),
        Case("not valid JSON", raw='{"cells": [ this is not json', note="not a readable notebook"),
        Case("solved", _with_solutions("valley_solution", None, CHECK_NAMES), score=12),
    ]
