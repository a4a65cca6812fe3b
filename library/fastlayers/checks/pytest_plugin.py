"""pytest plugin: `pytest exercises/` grades exercise notebooks, one test item per graded check, marked by lesson.

Only graded notebooks (`NN_topic/NN_topic.ipynb` with nbgrader test cells) are collected, and only when pytest is
pointed at them or a folder holding them; the repository's own test folders hold none, so a plain `pytest` is
unaffected. Each notebook runs once, in its own process (see `fastlayers.checks.runner`), when its first item runs.
This module imports no torch: pytest loads it in every run.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fastlayers.checks.notebook import Cell, NotebookError, autograded_cells, lesson_of, read_cells

LESSONS = [f"lesson{n:02d}" for n in range(12)]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fastlayers", "fastlayers graded notebooks")
    group.addoption("--cell-timeout", type=float, default=300.0, dest="fastlayers_cell_timeout",
                    help="seconds one notebook cell may run before its process is stopped (default 300)")


def pytest_configure(config: pytest.Config) -> None:
    """Register lesson00..lesson11 so `--strict-markers` accepts them."""
    for name in LESSONS:
        config.addinivalue_line("markers", f"{name}: checks of graded exercise {name[6:]}")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix == ".ipynb" and lesson_of(file_path) and file_path.stem == file_path.parent.name \
            and ".ipynb_checkpoints" not in file_path.parts:
        return GradedNotebook.from_parent(parent, path=file_path)
    return None


class GradedNotebook(pytest.File):
    """A graded exercise notebook: collects one `CheckItem` per autograded test cell."""

    result: Any = None  # the runner's NotebookResult, once the notebook has run

    def collect(self):
        try:
            cells = autograded_cells(read_cells(self.path))
        except NotebookError as err:
            yield BrokenNotebook.from_parent(self, name="notebook", message=str(err))
            return
        marker = f"lesson{lesson_of(self.path)}"
        # a deleted test cell still gets its item (failing), when the original is in solutions/
        from fastlayers.checks.runner import graded_job
        present = {c.grade_id for c in cells}
        cells = cells + [Cell(-1, "code", "", gid, True, False, pts)
                         for gid, pts in graded_job(self.path).expected_tests.items() if gid not in present]
        for cell in cells:
            item = CheckItem.from_parent(self, name=cell.grade_id or f"cell{cell.index}", points=cell.points)
            if marker in LESSONS:
                item.add_marker(getattr(pytest.mark, marker))
            yield item

    def run_once(self) -> Any:
        if self.result is None:
            from fastlayers.checks.runner import graded_job, run_notebooks  # imported late: only when grading
            timeout = self.config.getoption("fastlayers_cell_timeout")
            self.result = run_notebooks([graded_job(self.path)], cell_timeout=timeout)[0]
        return self.result


class CheckFailed(Exception):
    """A graded check failed; its message is the check's own explanation."""


class CheckItem(pytest.Item):
    """One graded check (one nbgrader test cell) of a notebook."""

    def __init__(self, *, points: float, **kwargs: Any):
        super().__init__(**kwargs)
        self.points = points
        self.user_properties.append(("points", points))

    def runtest(self) -> None:
        result = self.parent.run_once()
        found = [c for c in result.checks if c.name == self.name]
        if not found:
            raise CheckFailed(f"{self.name}: no result (the notebook changed while it was graded?)")
        check = found[0]
        self.user_properties.append(("score", check.points))
        if not check.passed:
            raise CheckFailed(check.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path.name}::{self.name} ({self.points:g} points)"


class BrokenNotebook(pytest.Item):
    """Stands in for a notebook that can't be read, so the failure says which file and why."""

    def __init__(self, *, message: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.message = message

    def runtest(self) -> None:
        raise CheckFailed(self.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path.name} (unreadable)"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Points per graded notebook, after the usual summary."""
    notebooks = {}
    for reports in terminalreporter.stats.values():
        for rep in reports:
            props = dict(getattr(rep, "user_properties", []) or [])
            if getattr(rep, "when", "") == "call" and "points" in props:
                path = rep.nodeid.split("::")[0]
                got, total = notebooks.get(path, (0.0, 0.0))
                notebooks[path] = (got + (props["points"] if rep.passed else 0.0), total + props["points"])
    if notebooks:
        terminalreporter.section("fastlayers points")
        for path, (got, total) in sorted(notebooks.items()):
            terminalreporter.write_line(f"{path}: {got:g}/{total:g} points")
