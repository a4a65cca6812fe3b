"""State does not leak between runs in one kernel: after a wrong piece that mutates what it is given (or a library
constant), the student's corrected piece passes in the same kernel, without a restart."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]

# (exercise, solution cell, a wrong piece that mutates shared state, the test cell that grades it)
LEAKY = [
    ("06_schedules", "combine_scheds_solution", '''
def combine_scheds(pcts, scheds):
    pcts.append(0.0)  # writes into the caller's list
    bounds = [0.0]
    for p in pcts:
        bounds.append(bounds[-1] + p)
    return lambda pos: scheds[0](pos)
''', "combine_scheds"),
    ("10_text", "build_vocab_solution", '''
def build_vocab(docs, train_idx, min_freq=3, max_vocab=60000):
    counts = Counter(tok for i in train_idx for tok in docs[i])
    vocab = SPECIAL_TOKENS  # an alias of the library's constant, extended in place below
    vocab += [w for w, c in counts.most_common() if c >= min_freq and w not in vocab]
    return vocab
''', "build_vocab"),
]


def _plain(outputs) -> str:
    parts = []
    for out in outputs:
        parts.append(out.get("text", "") if out.output_type == "stream" else "\n".join(out.get("traceback", [])))
    return re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(parts))


@pytest.mark.slow
@pytest.mark.parametrize("lesson, cell, leaky, test", LEAKY, ids=[x[0] for x in LEAKY])
def test_a_corrected_piece_passes_after_a_leaky_one_in_the_same_kernel(lesson, cell, leaky, test, tmp_path):
    solution = {c.metadata["nbgrader"]["grade_id"]: c.source
                for c in nbformat.read(ROOT / "solutions" / lesson / f"{lesson}_exercise.ipynb", as_version=4).cells
                if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(ROOT / "exercises" / lesson / f"{lesson}_exercise.ipynb", as_version=4)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel():
        setup = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup"]
        client.execute_cell(setup[0], nb.cells.index(setup[0]))
        for attempt, source in enumerate([leaky, solution[cell], leaky, solution[cell]]):
            by_id[cell].source = source
            client.execute_cell(by_id[cell], nb.cells.index(by_id[cell]))
            client.execute_cell(by_id[test], nb.cells.index(by_id[test]))
            text = _plain(by_id[test].outputs)
            if attempt % 2:
                assert f"PASS {test}" in text, f"attempt {attempt}: {text}"
            else:
                assert f"FAIL {test}" in text and "Traceback" not in text, f"attempt {attempt}: {text}"
