"""Exercise 09: the solutions pass every check, the student copy passes none, every mutant fails a check."""
import functools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fastlayers.checks.framework import CheckFailure
from tests.mutants import mutants_of

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "09_sensor_sequences" / "09_sensor_sequences.ipynb"
EXERCISE = ROOT / "exercises" / "09_sensor_sequences" / "09_sensor_sequences.ipynb"
MUTANTS = mutants_of("09")


@functools.lru_cache(maxsize=None)
def _cells(path):
    "Setup source, solution sources by grade_id, and the check calls graded after each solution cell."
    # plain json: a notebook is a JSON file, and importing nbformat costs seconds here
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    setup, solutions, tests, current = "", {}, {}, None
    for cell in nb["cells"]:
        info = cell.get("metadata", {}).get("nbgrader", {})
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if info.get("grade_id") == "setup":
            setup = source
        elif info.get("solution"):
            current = info["grade_id"]
            solutions[current] = source
        elif info.get("grade"):
            check_name, arg = re.fullmatch(r"checks\.lesson09\.(\w+)\((\w+)\)", source.strip()).groups()
            assert check_name == info["grade_id"]
            tests.setdefault(current, []).append((check_name, arg, info["points"]))
    return setup, solutions, tests


def _failing_checks(cell: str, source: str) -> list[str]:
    "Run the checks graded on `cell` against `source`, stopping at the first failure (in this process)."
    from fastlayers import checks
    setup, _, tests = _cells(SOLUTION)
    namespace: dict = {}
    exec(setup, namespace)
    exec(source, namespace)
    for check_name, arg, _ in tests[cell]:
        try:
            getattr(checks.lesson09, check_name)(namespace[arg])
        except CheckFailure:
            return [check_name]
    return []


def test_check_points_match_cells_and_every_check_is_graded():
    from fastlayers.checks import lesson09
    from fastlayers.checks.framework import checks_in
    _, _, tests = _cells(SOLUTION)
    graded = {name: pts for cell_tests in tests.values() for name, _, pts in cell_tests}
    assert graded == {name: info.points for name, info in checks_in(lesson09).items()}


@pytest.mark.slow
def test_solutions_pass_in_the_runner(tmp_path):
    out = tmp_path / "result.json"
    subprocess.run([sys.executable, "-m", "fastlayers.checks.runner", str(SOLUTION), "--json", str(out)],
                   cwd=ROOT, check=False, capture_output=True, timeout=240)
    results = json.loads(out.read_text())[0]["checks"]
    assert [r["name"] for r in results if r["passed"]] == ["windows", "normalize_splits", "pad_collate",
                                                           "conv_lstm_padding", "conv_lstm_accuracy"], results


def test_student_copy_fails_every_check():
    _, student, tests = _cells(EXERCISE)
    assert all("raise NotImplementedError()" in src and "BEGIN SOLUTION" not in src for src in student.values())
    for cell, source in student.items():
        assert _failing_checks(cell, source) == [tests[cell][0][0]]


# the check expected to catch each mutant first: together they cover every check
CAUGHT_BY = {
    "windows cross recordings": "windows", "windows labelled by the last step": "windows",
    "normalization peeks at validation data": "normalize_splits",
    "normalization averages per-series statistics": "normalize_splits",
    "normalization over all channels at once": "normalize_splits",
    "padding at the front": "pad_collate", "mask marks the padding": "pad_collate",
    "classifier reads the padded last step": "conv_lstm_padding",
    "classifier pools over padding": "conv_lstm_padding",
    "LSTM without the convolution": "conv_lstm_accuracy",
}


@pytest.mark.slow
@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_caught(mutant):
    assert _failing_checks(mutant.cell, mutant.source) == [CAUGHT_BY[mutant.name]], mutant.name


def test_every_check_catches_a_mutant():
    from fastlayers.checks import lesson09
    from fastlayers.checks.framework import checks_in
    assert set(CAUGHT_BY) == {m.name for m in MUTANTS}
    assert set(CAUGHT_BY.values()) == set(checks_in(lesson09))


def test_every_check_has_a_mutant_aimed_at_it():
    _, _, tests = _cells(SOLUTION)
    assert {m.cell for m in MUTANTS} == set(tests)
    assert len(MUTANTS) >= 2 * len(tests)
