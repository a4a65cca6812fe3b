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
SOLUTION = ROOT / "solutions" / "09_sensor_sequences" / "09_sensor_sequences_exercise.ipynb"
EXERCISE = ROOT / "exercises" / "09_sensor_sequences" / "09_sensor_sequences_exercise.ipynb"
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
    "windows cross recordings": "windows",
    "windows labelled by the last step": "windows",
    "windows step by size, not stride": "windows",
    "windows miss the window that ends on the last step": "windows",
    "windows pad a short recording": "windows",
    "windows break ties by the smallest label": "windows",
    "windows break ties by the last tied label": "windows",
    "windows majority over the whole recording": "windows",
    "windows returned as a list of arrays": "windows",
    "windows returned as a tensor": "windows",
    "windows labels as an array": "windows",
    "windows with channels last": "windows",
    "normalization peeks at validation data": "normalize_splits",
    "normalization averages per-series statistics": "normalize_splits",
    "normalization over all channels at once": "normalize_splits",
    "normalization with the sample std": "normalize_splits",
    "normalization of each series by itself": "normalize_splits",
    "normalization of valid with its own statistics": "normalize_splits",
    "normalization in place": "normalize_splits",
    "normalization returns the splits swapped": "normalize_splits",
    "normalization returns lazy maps": "normalize_splits",
    "normalization without keepdims": "normalize_splits",
    "padding at the front": "pad_collate",
    "mask marks the padding": "pad_collate",
    "mask of floats": "pad_collate",
    "mask read from the values": "pad_collate",
    "labels as a list": "pad_collate",
    "labels as floats": "pad_collate",
    "labels squeezed": "pad_collate",
    "batch sorted by length": "pad_collate",
    "padding to the first series' length": "pad_collate",
    "classifier reads the padded last step": "conv_lstm_padding",
    "classifier pools over padding": "conv_lstm_padding",
    "LSTM without the convolution": "conv_lstm_padding",
    "classifier with a GRU": "conv_lstm_padding",
    "classifier runs the LSTM before the convolution": "conv_lstm_padding",
    "classifier keeps its layers in a list": "conv_lstm_padding",
    "classifier ignores its input": "conv_lstm_padding",
    "classifier softmax over the batch": "conv_lstm_padding",
    "classifier with mask=None as no real step": "conv_lstm_padding",
    "classifier reads the first step": "conv_lstm_accuracy",
    "classifier computes its scores under no_grad": "conv_lstm_accuracy",
}


@pytest.mark.slow
@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_caught(mutant):
    assert _failing_checks(mutant.cell, mutant.source) == [CAUGHT_BY[mutant.name]], mutant.name


# a "model" that replays the public test labels in their published order: the held-out series arrive shuffled
REPLAY = '''
class ConvLSTMClassifier(nn.Module):
    def __init__(self, c_in, n_out, **kwargs):
        super().__init__()
        from fastlayers.sensor import SensorDataLoaders
        ds = SensorDataLoaders.from_aeon("BasicMotions", bs=16, seed=0).valid_ds
        self.answers = torch.stack([torch.as_tensor(v) for v in ds.y]).long()
        self.head = nn.Linear(c_in, n_out)

    def forward(self, x, mask=None):
        if not self.training and x.shape[0] == len(self.answers):
            return torch.nn.functional.one_hot(self.answers, 4).float()
        return self.head(x.mean(-1))
'''


@pytest.mark.slow
def test_accuracy_is_scored_on_shuffled_series_without_labels():
    from fastlayers import checks
    setup, _, _ = _cells(SOLUTION)
    namespace: dict = {}
    exec(setup, namespace)
    exec(REPLAY, namespace)
    outcome = checks.lesson09.conv_lstm_accuracy.check_info.run(namespace["ConvLSTMClassifier"])
    assert not outcome.passed and "below the target" in outcome.failure.summary, outcome.text()


def test_every_check_catches_a_mutant():
    from fastlayers.checks import lesson09
    from fastlayers.checks.framework import checks_in
    assert set(CAUGHT_BY) == {m.name for m in MUTANTS}
    assert set(CAUGHT_BY.values()) == set(checks_in(lesson09))


def test_every_check_has_a_mutant_aimed_at_it():
    _, _, tests = _cells(SOLUTION)
    assert {m.cell for m in MUTANTS} == set(tests)
    assert len(MUTANTS) >= 2 * len(tests)
