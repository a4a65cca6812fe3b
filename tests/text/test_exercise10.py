"""Exercise 10: the solutions pass every check, the student copy fails them, every mutant is caught."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import nbformat
import pytest

from fastlayers import checks
from fastlayers.checks.framework import CheckFailure, checks_in
from tests.mutants import mutants_of

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "10_text" / "10_text_exercise.ipynb"
EXERCISE = ROOT / "exercises" / "10_text" / "10_text_exercise.ipynb"


def _cells(path: Path) -> list[dict]:
    return nbformat.read(path, as_version=4).cells


def _namespace(path: Path, replace: dict[str, str] | None = None) -> tuple[dict, list[tuple[str, str, float]]]:
    """Run the setup and solution cells of `path` in one namespace; return it and the (check, call, points) list."""
    ns: dict = {}
    tests = []
    for c in _cells(path):
        meta = c.metadata.get("nbgrader", {})
        if c.cell_type != "code":
            continue
        if meta.get("grade"):
            tests.append((meta["grade_id"], c.source, meta["points"]))
            continue
        src = (replace or {}).get(meta.get("grade_id"), c.source)
        with contextlib.suppress(NotImplementedError), contextlib.redirect_stdout(io.StringIO()):
            exec(compile(src, meta.get("grade_id", "cell"), "exec"), ns)
    return ns, tests


def _failures(ns: dict, tests: list, only: set[str] | None = None) -> list[str]:
    failed = []
    for name, source, _ in tests:
        if only is not None and name not in only:
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(source, ns)
        except CheckFailure:
            failed.append(name)
    return failed


def test_notebook_structure_matches_checks():
    cells = _cells(SOLUTION)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in cells]
    assert len(ids) == len(set(ids))
    infos = checks_in(checks.lesson10)
    tests = {c.metadata["nbgrader"]["grade_id"]: c for c in cells if c.metadata["nbgrader"].get("grade")}
    assert set(tests) == set(infos)
    for name, cell in tests.items():
        assert cell.metadata["nbgrader"]["points"] == infos[name].points
        assert cell.source.startswith(f"checks.lesson10.{name}(")
    assert cells[1].source.startswith("from fastlayers import checks")


def test_the_statement_examples_are_what_the_reference_rules_do():
    """The rules' statement shows its examples as Python comparisons: each must hold for the reference rules."""
    import fastlayers.text as ref
    intro = next(c.source for c in _cells(SOLUTION) if c.metadata["nbgrader"]["grade_id"] == "rules_intro")
    block = re.search(r"```python\n(.*?)```", intro, re.S)
    assert block, "the rules' statement has no block of examples"
    lines = block.group(1).strip().splitlines()
    rules = {"replace_rep", "replace_wrep", "replace_all_caps", "replace_maj"}
    assert {line.split("(", 1)[0] for line in lines} == rules, "every rule has an example, and only rules do"
    for line in lines:
        assert eval(line, {name: getattr(ref, name) for name in rules}), line


def test_special_tokens_are_a_tuple_as_the_statement_says():
    import fastlayers.text as ref
    intro = next(c.source for c in _cells(SOLUTION) if c.metadata["nbgrader"]["grade_id"] == "vocab_intro")
    assert isinstance(ref.SPECIAL_TOKENS, tuple) and "is a **tuple**" in intro


def test_the_statement_quotes_the_training_recipe_of_the_check():
    from fastlayers.checks import lesson10 as L
    intro = next(c.source for c in _cells(SOLUTION) if c.metadata["nbgrader"]["grade_id"] == "lstm_intro")
    epochs, lr = re.search(r"fit_one_cycle\((\d+), ([0-9.e-]+)\)", intro).groups()
    assert (int(epochs), float(lr)) == (L.EPOCHS, L.LR)
    n_train = round(L.TRAIN_REVIEWS * (1 - L.TRAIN_VALID_PCT))
    assert f"batches of {L.BS}" in intro and f"{n_train} short reviews" in intro
    assert f"{L.HELD_OUT} new reviews" in intro and f"{L.TARGET_ACC:.0%}" in intro
    assert f"{L.TRAIN_LIMIT_S} seconds" in intro and "three times" in intro and L.ATTEMPTS == 3


def test_student_copy_is_generated_from_the_solutions():
    sol, ex = _cells(SOLUTION), _cells(EXERCISE)
    assert [c.metadata["nbgrader"]["grade_id"] for c in sol] == [c.metadata["nbgrader"]["grade_id"] for c in ex]
    for s, e in zip(sol, ex):
        if s.metadata["nbgrader"].get("solution"):
            assert "### BEGIN SOLUTION" not in e.source and "raise NotImplementedError()" in e.source
        else:
            assert s.source == e.source


@pytest.mark.slow
def test_solutions_pass_every_check():
    ns, tests = _namespace(SOLUTION)
    assert _failures(ns, tests) == []


def test_untouched_exercise_fails_every_check():
    ns, tests = _namespace(EXERCISE)
    assert sorted(_failures(ns, tests)) == sorted(name for name, _, _ in tests)


MUTANTS = mutants_of("10")


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_caught(mutant):
    # the check of the mutated piece itself must catch it (stronger than "some check fails")
    target = mutant.cell[: -len("_solution")]
    ns, tests = _namespace(SOLUTION, {mutant.cell: mutant.source})
    assert _failures(ns, tests, only={target}) == [target], f"{target} passed the mutant {mutant.name!r}"


def test_every_check_has_mutants():
    cells = {m.cell for m in MUTANTS}
    for name in checks_in(checks.lesson10):
        assert f"{name}_solution" in cells, f"no mutant targets {name}"
