"""pytest plugin: `pytest exercises/` grades exercise notebooks, one test item per graded check, marked by lesson.

Only graded notebooks (`NN_topic/NN_topic.ipynb` with nbgrader test cells) are collected, and only when pytest is
pointed at them or a folder holding them; the repository's own test folders hold none, so a plain `pytest` is
unaffected. Each notebook is graded once, by the grader (see `fastlayers.checks.runner`), when its first item runs.
This module imports no torch: pytest loads it in every run.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fastlayers.checks.notebook import NotebookError, autograded_cells, is_graded_notebook, lesson_of, read_cells

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
    if is_graded_notebook(file_path):
        return GradedNotebook.from_parent(parent, path=file_path)
    return None


class GradedNotebook(pytest.File):
    """A graded exercise notebook: one `CheckItem` per trusted test cell (those of its `solutions/` copy when there
    is one, else its own), all marked with the lesson; an unreadable notebook still gets its items, failing."""

    result: Any = None  # the grader's NotebookResult, once the notebook has run

    def collect(self):
        marker = f"lesson{lesson_of(self.path)}"
        for name, points in _expected_tests(self.path):
            item = CheckItem.from_parent(self, name=name, points=points)
            if marker in LESSONS:
                item.add_marker(getattr(pytest.mark, marker))
            yield item

    def run_once(self) -> Any:
        if self.result is None:  # once per notebook, whatever happens to it; all selected notebooks in one go
            from fastlayers.checks.runner import graded_job, run_notebooks  # imported late: only when grading
            pending = [self] + [n for n in dict.fromkeys(getattr(i, "parent", None) for i in self.session.items)
                                if isinstance(n, GradedNotebook) and n is not self and n.result is None]
            timeout = self.config.getoption("fastlayers_cell_timeout")
            results = run_notebooks([graded_job(n.path) for n in pending], cell_timeout=timeout)
            for notebook, result in zip(pending, results):
                notebook.result = result
        return self.result


def _expected_tests(path: Path) -> list[tuple[str, float]]:
    """(grade_id, points) of the test cells that grade `path`: the trusted copy's, else its own, else the lesson's."""
    from fastlayers.checks.runner import trusted_source
    source = trusted_source(path)
    for candidate in ([source] if source else []) + [path]:
        try:
            cells = autograded_cells(read_cells(candidate))
        except NotebookError:
            continue
        return [(c.grade_id or f"cell{c.index}", c.points) for c in cells]
    import importlib
    from fastlayers.checks.framework import checks_in
    try:
        module = importlib.import_module(f"fastlayers.checks.lesson{lesson_of(path)}")
    except ImportError:
        return [("notebook", 0.0)]
    return [(name, info.points) for name, info in checks_in(module).items()]


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
            note = f"\nnote: {result.error}" if result.error and result.error not in check.message else ""
            raise CheckFailed(check.message + note)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path.name}::{self.name} ({self.points:g} points)"


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
