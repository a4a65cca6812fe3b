"""The notebook runner: fresh process per notebook, crash isolation, time limits, stderr rule, incremental JSON."""
from __future__ import annotations

import json
import subprocess
import sys
import time

from fastlayers.checks.runner import Job, run_notebook, run_notebooks
from tests.grading.conftest import write_variant
from tests.grading.fixtures.notebooks import NAME


def _scores(result) -> dict:
    return {c.name: c.points for c in result.checks}


def test_solution_gets_full_marks_and_exercise_none(course):
    assert _scores(run_notebook(course / "solutions" / NAME / f"{NAME}.ipynb")) == {"add": 2, "mean": 3}
    res = run_notebook(course / "exercises" / NAME / f"{NAME}.ipynb")
    assert _scores(res) == {"add": 0, "mean": 0}
    assert all("NotImplementedError" in c.message for c in res.checks)


def test_crash_fails_only_the_rest_of_its_notebook(course):
    exits = write_variant(course, "exits", mean_solution="import os\ndef mean(xs):\n    os._exit(7)")
    good = course / "solutions" / NAME / f"{NAME}.ipynb"
    for share in (False, True):
        crashed, fine = run_notebooks([Job(str(exits)), Job(str(good))], share_process=share)
        assert _scores(crashed) == {"add": 2, "mean": 0} and _scores(fine) == {"add": 2, "mean": 3}
        assert "exit code 7" in crashed.checks[1].message


def test_infinite_loop_costs_the_check_time_limit_only(course):
    loops = write_variant(course, "loops", mean_solution="def mean(xs):\n    while True:\n        pass")
    start = time.perf_counter()
    res = run_notebook(loops)
    assert _scores(res) == {"add": 2, "mean": 0}
    assert "time limit of 2 s" in res.checks[1].message and time.perf_counter() - start < 30


def test_cell_safety_timeout_kills_a_stuck_cell(course):
    stuck = write_variant(course, "stuck", mean_solution="import time\ntime.sleep(60)")
    start = time.perf_counter()
    res = run_notebook(stuck, cell_timeout=2)
    assert _scores(res) == {"add": 2, "mean": 0} and "stopped after 2 s" in res.checks[1].message
    assert "mean_solution" in res.error and time.perf_counter() - start < 30


def test_a_test_cell_is_never_run_in_the_notebooks_process(course):
    """The grader runs the check itself: a test cell's own code (stderr, prints, anything) is not executed."""
    noisy = write_variant(course, "noisy", add="import sys\nfixture_checks.add(add)\nprint('x', file=sys.stderr)")
    res = run_notebook(noisy)  # no trusted copy: the notebook's own test cell must be a plain check call
    assert _scores(res) == {"add": 0, "mean": 3} and "this test cell was changed" in res.checks[0].message
    trusted = run_notebooks([Job(str(noisy), trusted=str(course / "solutions" / NAME / f"{NAME}.ipynb"))])[0]
    assert _scores(trusted) == {"add": 2, "mean": 3}


def test_replaced_test_cells_and_deleted_ones_are_reported(course):
    source = course / "solutions" / NAME / f"{NAME}.ipynb"
    edited = write_variant(course, "edited", add_solution="def add(a, b):\n    return 0", add="pass")
    res = run_notebooks([Job(str(edited), trusted=str(source))])[0]
    assert _scores(res) == {"add": 0, "mean": 3} and "wrong result" in res.checks[0].message
    from tests.grading.fixtures.notebooks import drop_cell, source_notebook
    import json as _json
    gone = course / "solutions" / NAME / "gone.ipynb"
    gone.write_text(_json.dumps(drop_cell(source_notebook(), "mean")))
    res = run_notebooks([Job(str(gone), trusted=str(source))])[0]
    assert _scores(res) == {"add": 2, "mean": 0} and "deleted" in res.checks[1].message


def test_a_student_object_only_reaches_the_grader_as_plain_data(course):
    sly = write_variant(course, "sly", add_solution="class Yes:\n    def __eq__(self, o): return True\n"
                                                   "def add(a, b):\n    return Yes()")
    res = run_notebook(sly)
    assert _scores(res)["add"] == 0 and "Yes object" in res.checks[0].message


def test_leftover_processes_are_ended_with_their_notebook(course):
    import subprocess as sp
    marker = "fastlayers-runner-test-leftover"
    bg = write_variant(course, "bg", add_solution=f"import subprocess\nsubprocess.Popen(['sleep', '60', '#{marker}'])"
                                                  "\ndef add(a, b):\n    return a + b")
    assert run_notebook(bg).score == 5
    time.sleep(0.3)
    assert marker not in sp.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout


def test_unreadable_notebook_and_magics(course, tmp_path):
    broken = course / "solutions" / NAME / "broken.ipynb"
    broken.write_text("{not json")
    magic = write_variant(course, "magic", setup="%matplotlib inline\n!echo hi\nimport fixture_checks")
    bad, ok = run_notebooks([Job(str(broken), trusted=str(course / "solutions" / NAME / f"{NAME}.ipynb")),
                             Job(str(magic))])
    assert "not a readable notebook" in bad.error and ok.score == 5
    assert bad.score == 0 and bad.max_score == 5  # the lesson's points do not vanish from the totals


def test_command_line_writes_json(course, tmp_path):
    out = tmp_path / "r.json"
    nb = course / "solutions" / NAME / f"{NAME}.ipynb"
    proc = subprocess.run([sys.executable, "-m", "fastlayers.checks.runner", str(nb), "--json", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data[0]["score"] == 5 and data[0]["max_score"] == 5 and "PASS add" in proc.stdout
    ex = course / "exercises" / NAME / f"{NAME}.ipynb"
    assert subprocess.run([sys.executable, "-m", "fastlayers.checks.runner", str(ex)],
                          capture_output=True).returncode == 1


def test_memory_and_notebook_time_limits(course):
    greedy = write_variant(course, "greedy", mean_solution="def mean(xs):\n    block = bytearray(3 * 2 ** 30)\n"
                                                           "    return sum(xs) / len(xs)")
    res = run_notebooks([Job(str(greedy))], memory_mb=512)[0]
    assert _scores(res) == {"add": 2, "mean": 0} and "MemoryError" in res.checks[1].message
    slow = write_variant(course, "slow", mean_solution="import time\ntime.sleep(30)")
    start = time.perf_counter()
    res = run_notebooks([Job(str(slow))], notebook_timeout=3)[0]
    assert _scores(res) == {"add": 2, "mean": 0} and "time limit of 3 s" in res.error
    assert time.perf_counter() - start < 20
