"""Fixtures for the grading tests: a small course folder with one exercise (lesson 00) and its checks."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.grading.fixtures.notebooks import HERE, NAME, set_cell, source_notebook, write_course

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def course(tmp_path) -> Path:
    """tmp course: nbgrader_config.py, solutions/00_fixture/ and a hand-made student copy in exercises/00_fixture/."""
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    write_course(tmp_path)
    folder = tmp_path / "exercises" / NAME
    folder.mkdir(parents=True)
    from fastlayers.cli.grade_cmd import student_version
    nb = source_notebook()
    for cell in nb["cells"]:
        meta = cell["metadata"]["nbgrader"]
        if meta["solution"]:
            cell["source"] = student_version(cell["source"])
    nb = set_cell(nb, "mean", "fixture_checks.mean(mean)")  # hidden tests are not in the student copy
    (folder / f"{NAME}.ipynb").write_text(json.dumps(nb, indent=1))
    shutil.copy(HERE / "fixture_checks.py", folder)
    return tmp_path


def write_variant(course: Path, name: str, **cells: str) -> Path:
    """A copy of the fixture solution with some cells replaced, as course/solutions/00_fixture/<name>.ipynb."""
    nb = source_notebook()
    for gid, src in cells.items():
        nb = set_cell(nb, gid, src)
    path = course / "solutions" / NAME / f"{name}.ipynb"
    path.write_text(json.dumps(nb))
    return path
