"""course/10_text.ipynb runs top to bottom, offline, on CPU, within a minute, and points to its exercise."""
from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.mirror import shared_mirror, write_imdb_sample_standin

ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "course" / "10_text.ipynb"
LIMIT_S = 60


@pytest.fixture
def imdb_sample(tmp_path: Path, monkeypatch) -> str:
    """The lesson's dataset for the kernel: the real IMDB_SAMPLE from the shared mirror when there is one (CI),
    else generated reviews of the same shape and size, fetched through the same registry code (a fresh clone)."""
    real = shared_mirror()
    if real:
        monkeypatch.setenv("FASTLAYERS_DATA_MIRROR", real)
        return "real"
    mirror = write_imdb_sample_standin(tmp_path / "standin")
    monkeypatch.setenv("FASTLAYERS_REGISTRY", str(tmp_path / "standin" / "registry.yml"))
    monkeypatch.setenv("FASTLAYERS_DATA_MIRROR", str(mirror))
    return "stand-in"


@pytest.mark.slow
def test_lesson10_runs_within_a_minute(tmp_path: Path, imdb_sample: str, monkeypatch) -> None:
    monkeypatch.setenv("FASTLAYERS_HOME", str(tmp_path / "home"))  # an empty cache: the fetch itself is tested
    nb = nbformat.read(LESSON, as_version=4)
    client = NotebookClient(nb, timeout=LIMIT_S, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, f"a cell raised {errors[0]['ename']}: {errors[0]['evalue']}"
    assert seconds < LIMIT_S, f"lesson 10 took {seconds:.1f} s; lessons must run in under {LIMIT_S} s on CPU"
    assert (tmp_path / "models" / "lesson10_encoder.pth").exists()  # it ran in the scratch folder, not the repo
    fetched = (tmp_path / "home" / "datasets" / "imdb_sample" / ".fastlayers-manifest.json").read_text()
    assert '"source": "mirror' in fetched  # the kernel got the data through the registry, from the mirror


def test_lesson10_points_to_its_exercise() -> None:
    nb = nbformat.read(LESSON, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "exercises/10_text/10_text_exercise.ipynb" in text
    assert (ROOT / "exercises" / "10_text" / "10_text_exercise.ipynb").exists()
