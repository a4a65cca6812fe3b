"""Lesson 09 runs top to bottom, offline on CPU, and its claims hold."""
import json
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "course" / "09_sensor_sequences.ipynb"


@pytest.mark.slow
def test_lesson09_executes(tmp_path):
    import nbformat                       # imported here: they cost seconds, and only this test needs them
    from nbclient import NotebookClient
    nb = nbformat.read(LESSON, as_version=4)
    # a cell that hangs fails after 60 s; the lesson's full run time is a benchmark number, not an assertion
    client = NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()
    print(f"lesson 09 ran in {time.perf_counter() - start:.1f} s")
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "same predictions alone or padded in a batch: True" in text
    assert "decode gives back the readings: True" in text
    assert text.count("ValueError:") == 3


def test_lesson09_points_to_its_exercise():
    cells = json.loads(LESSON.read_text(encoding="utf-8"))["cells"]
    assert "exercises/09_sensor_sequences/09_sensor_sequences_exercise.ipynb" in "".join("".join(c["source"]) for c in cells)
