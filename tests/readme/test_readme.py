"""The README's commands are real: CI runs its install and test commands, and every `fastlayers` line parses."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from fastlayers.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
CI_SCRIPT = (ROOT / ".ci" / "run").read_text()


def code_lines(text: str) -> list[str]:
    """Every non-empty line inside the README's ```bash blocks, with trailing comments removed."""
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


QUICK_START = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]


def test_quick_start_has_one_install_and_one_test_command():
    lines = code_lines(QUICK_START)
    assert any(line.startswith("python -m pip install") for line in lines), lines
    assert "python -m pytest" in lines
    assert "fastlayers check" in lines


@pytest.mark.parametrize("line", [l for l in code_lines(QUICK_START) if not l.startswith("fastlayers")])
def test_ci_runs_the_quick_start_commands_verbatim(line):
    # CI creates its own venv in a temporary folder, so the venv line is the one exception.
    if line.startswith("python3 -m venv"):
        assert "python3 -m venv" in CI_SCRIPT
        return
    assert line in CI_SCRIPT, f"README command {line!r} is not run by .ci/run"


FASTLAYERS_LINES = [l for l in code_lines(README) if re.match(r"^(\w+=\S+ )*fastlayers ", l)]


def test_the_readme_shows_the_main_commands():
    joined = "\n".join(FASTLAYERS_LINES)
    for sub in ("check", "progress", "release", "grade", "data list", "data fetch", "data verify", "lessons"):
        assert f"fastlayers {sub}" in joined or sub == "lessons" and "fastlayers lessons" in README, sub


@pytest.mark.parametrize("line", FASTLAYERS_LINES)
def test_every_fastlayers_command_in_the_readme_parses(line):
    words = shlex.split(line)
    while "=" in words[0]:  # environment assignments before the command
        words.pop(0)
    assert words[0] == "fastlayers"
    args = build_parser().parse_args(words[1:])
    assert getattr(args, "run", None) is not None, f"{line!r} does not reach a sub-command"


def test_layout_paths_in_the_readme_exist():
    layout = README.split("## Repository layout", 1)[1]
    for name in re.findall(r"^(\S+)\s{2,}", layout.split("```")[1], flags=re.M):
        assert (ROOT / name.rstrip("/")).exists(), f"README names {name} but it does not exist"


PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


@pytest.mark.slow
@pytest.mark.parametrize("i", range(len(PYTHON_BLOCKS)))
def test_every_python_example_in_the_readme_runs(i, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)          # examples may write models/ or caches: keep them out of the repo
    monkeypatch.setenv("FASTLAYERS_PROGRESS", "0")
    exec(compile(PYTHON_BLOCKS[i], f"README python block {i}", "exec"), {"__name__": "__readme__"})
    assert capsys.readouterr().out.strip(), "every README example prints what it shows"


def test_the_readme_has_python_examples():
    assert len(PYTHON_BLOCKS) >= 3


def test_the_lesson_table_says_which_lessons_exist():
    rows = re.findall(r"^\| (\d\d) \| ([^|]+) \|[^|]+\|([^|]+)\| ([^|]+) \|$", README, flags=re.M)
    assert len(rows) == 12
    for nn, topic, modules, status in rows:
        for module in re.findall(r"`([a-z_/]+\.py)`", modules):  # the library files that lesson teaches
            path = ROOT / "library" / "fastlayers" / module
            assert path.is_file(), f"README names {module} for lesson {nn}, but there is no such file"
            if status.strip() == "lesson + graded exercise":
                assert f"Lesson {nn}" in path.read_text().split("\n", 1)[0], f"{module} must open by naming lesson {nn}"
        course = list((ROOT / "course").glob(f"{nn}_*.ipynb"))
        exercise = list((ROOT / "exercises").glob(f"{nn}_*/{nn}_*.ipynb"))
        if status.strip() == "lesson + graded exercise":
            assert course and exercise, f"README says lesson {nn} ({topic.strip()}) ships, but its notebooks are missing"
        else:
            assert status.strip() == "planned" and not exercise, f"lesson {nn} has notebooks: update the README table"
