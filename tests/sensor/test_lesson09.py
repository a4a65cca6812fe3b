"""Lesson 09 runs top to bottom, offline on CPU, in under a minute, and its claims hold."""
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "course" / "09_sensor_sequences.ipynb"


@pytest.mark.slow
def test_lesson09_executes_quickly(tmp_path):
    nb = nbformat.read(LESSON, as_version=4)
    client = NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    assert seconds < 60, f"lesson 09 took {seconds:.1f} s"
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "same predictions alone or padded in a batch: True" in text
    assert "decode gives back the readings: True" in text
    assert text.count("ValueError:") == 3


def test_lesson09_points_to_its_exercise():
    nb = nbformat.read(LESSON, as_version=4)
    assert "exercises/09_sensor_sequences/09_sensor_sequences.ipynb" in "".join(c.source for c in nb.cells)
