"""Mutant catalogue type: plausible wrong implementations of a graded piece, each must be caught by some check."""
from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    """A wrong version of one solution cell: `cell` is its nbgrader grade_id, `source` the whole replacement source."""
    name: str
    cell: str
    source: str
    note: str = ""  # the mistake in words, for the catalogue table (optional)

    def __post_init__(self) -> None:
        if not self.name or not self.cell.endswith("_solution"):
            raise ValueError(f"Mutant {self.name!r}: `cell` must be the grade_id of a solution cell "
                             f"(ending in '_solution'), got {self.cell!r}")
        if not self.source.strip():
            raise ValueError(f"Mutant {self.name!r}: `source` is empty; give the full wrong cell source")


def mutants_of(lesson: str) -> list[Mutant]:
    """The MUTANTS list of tests/mutants/lessonNN.py (`lesson` like '06' or 'lesson06'); [] when there is none."""
    name = lesson if lesson.startswith("lesson") else f"lesson{lesson}"
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as err:
        if err.name == f"{__name__}.{name}":
            return []
        raise
    mutants = list(module.MUTANTS)
    names = [m.name for m in mutants]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"tests/mutants/{name}.py: mutant names must be unique, repeated: {duplicates}")
    return mutants


def piece_tests(cells: list, solution_id: str) -> set[str]:
    """The test cells that grade one solution cell (runner Cells): those after it, up to the next solution cell."""
    tests, inside = set(), False
    for c in cells:
        if c.is_solution:
            inside = c.grade_id == solution_id
        elif inside and c.is_test:
            tests.add(c.grade_id)
    return tests
