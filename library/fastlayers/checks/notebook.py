"""Reading graded exercise notebooks: their cells, nbgrader test cells with points, and lesson numbers."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Cell", "read_cells", "autograded_cells", "lesson_of", "find_notebooks", "graded_notebook",
           "is_graded_notebook", "NotebookError"]

_LESSON_NAME = re.compile(r"^(\d\d)_[A-Za-z0-9_]+$")


class NotebookError(ValueError):
    """A notebook that can't be graded (not JSON, not a notebook, broken nbgrader metadata)."""


@dataclass
class Cell:
    """One cell of a notebook as the runner needs it."""
    index: int
    cell_type: str
    source: str
    grade_id: str = ""
    is_test: bool = False      # nbgrader "grade": true on a code cell (an autograded test cell)
    is_solution: bool = False
    points: float = 0.0
    locked: bool = False       # nbgrader "locked": the course's cell, restored from the trusted copy when grading


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def read_cells(path: str | Path) -> list[Cell]:
    """The cells of a notebook file; raises NotebookError naming the file when it isn't a readable notebook."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise NotebookError(f"{path}: not a readable notebook ({err}); restore it from git or re-download it") from err
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError(f"{path}: valid JSON but not a notebook (no 'cells' list)")
    cells = []
    for i, raw in enumerate(data["cells"]):
        meta = (raw.get("metadata") or {}).get("nbgrader") or {}
        is_test = bool(meta.get("grade")) and raw.get("cell_type") == "code" and not meta.get("solution")
        try:
            points = float(meta.get("points", 0) or 0)
        except (TypeError, ValueError) as err:
            raise NotebookError(f"{path}: cell {i} has points {meta.get('points')!r}, not a number") from err
        cells.append(Cell(i, raw.get("cell_type", ""), _source(raw), str(meta.get("grade_id", "")), is_test,
                          bool(meta.get("solution")), points, bool(meta.get("locked"))))
    return cells


def autograded_cells(cells: list[Cell]) -> list[Cell]:
    """The autograded test cells, in notebook order."""
    return [c for c in cells if c.is_test]


def lesson_of(path: str | Path) -> str:
    """The two-digit lesson number of a lesson folder `NN_topic/` or a notebook in it; '' when there is none."""
    path = Path(path)
    for name in (path.name if path.suffix != ".ipynb" else path.stem, path.parent.name):
        m = _LESSON_NAME.match(name)
        if m:
            return m.group(1)
    return ""


def is_graded_notebook(path: str | Path) -> bool:
    """Whether `path` is the graded notebook of a lesson folder: `NN_topic/NN_*.ipynb` (e.g.
    `06_schedules/06_schedules_exercise.ipynb`), not a checkpoint copy."""
    path = Path(path)
    return (path.suffix == ".ipynb" and ".ipynb_checkpoints" not in path.parts
            and _LESSON_NAME.match(path.parent.name) is not None and path.stem.startswith(path.parent.name[:3]))


def graded_notebook(folder: str | Path) -> Path | None:
    """The graded notebook inside lesson folder `folder` (None when there is none)."""
    found = sorted(p for p in Path(folder).glob("*.ipynb") if is_graded_notebook(p))
    return found[0] if found else None


def find_notebooks(folder: str | Path, lessons: list[str] | None = None) -> list[Path]:
    """Graded notebooks `folder/NN_topic/NN_*.ipynb` (only the given lessons, e.g. ['02', '06']), sorted."""
    folder = Path(folder)
    found = []
    for sub in sorted(folder.glob("[0-9][0-9]_*")):
        nb = graded_notebook(sub) if sub.is_dir() else None
        if nb is not None and (lessons is None or lesson_of(nb) in lessons):
            found.append(nb)
    return found
