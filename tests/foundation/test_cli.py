"""The `fastlayers data ...` and `fastlayers lessons` commands: output, friendly errors, exit codes."""
from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from fastlayers.cli.main import EXIT_MISSING, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, main

from fastlayers.data import archives

from .conftest import entry, make_tar, read_only, tar_link

A = b"alpha,1\n" * 100


@pytest.fixture
def cached_ds(use_registry, tmp_path, monkeypatch):
    """A registry with dataset `ds` available from a folder mirror."""
    (tmp_path / "mirror" / "ds").mkdir(parents=True)
    (tmp_path / "mirror" / "ds" / "a.csv").write_bytes(A)
    use_registry(entry("ds", "http://127.0.0.1:9/unreachable/", {"a.csv": A}),
                 entry("other", "http://127.0.0.1:9/unreachable/", {"b.csv": b"b"}))
    monkeypatch.setenv("FASTLAYERS_DATA_MIRROR", str(tmp_path / "mirror"))
    return tmp_path / "mirror"


@pytest.mark.parametrize("argv", [["--help"], ["data", "--help"], ["data", "list", "--help"],
                                  ["data", "fetch", "--help"], ["data", "verify", "--help"],
                                  ["data", "path", "--help"], ["lessons", "--help"]])
def test_every_command_has_help(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0 and "usage: fastlayers" in capsys.readouterr().out


def test_data_without_an_action_shows_its_help(capsys):
    assert main(["data"]) == EXIT_USAGE
    assert "fetch" in capsys.readouterr().out


def test_list_shows_every_shipped_dataset_with_size_license_and_cache_state(capsys):
    assert main(["data", "list"]) == EXIT_OK
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header == ["name", "task", "size", "license", "cached"]
    for name in ["imdb_sample", "imdb", "fashion_mnist", "uci_har", "basic_motions", "japanese_vowels", "digits"]:
        assert f"\n{name} " in out
    assert "1.4 MB" in out and "MIT (Zalando SE)" in out
    rows = {line.split()[0]: line for line in out.splitlines()[2:] if line.strip() and not line.startswith("cache")}
    assert rows["basic_motions"].endswith("ships with aeon") and rows["digits"].endswith("ships with sklearn")


def test_fetch_then_list_path_and_verify(cached_ds, home, capsys):
    assert main(["data", "fetch", "ds", "--no-progress"]) == EXIT_OK
    path = home / "datasets" / "ds"
    assert capsys.readouterr().out.strip() == str(path)
    assert main(["data", "list"]) == EXIT_OK
    rows = {line.split()[0]: line.split()[-1] for line in capsys.readouterr().out.splitlines()[2:] if line}
    assert rows["ds"] == "yes" and rows["other"] == "no"
    assert main(["data", "path", "ds"]) == EXIT_OK and capsys.readouterr().out.strip() == str(path)
    assert main(["data", "verify"]) == EXIT_OK and " ok " in capsys.readouterr().out
    (path / "a.csv").write_bytes(b"damaged")
    assert main(["data", "verify", "ds"]) == EXIT_PROBLEMS
    assert "mismatch" in capsys.readouterr().out


def test_unknown_names_exit_2_with_suggestions(cached_ds, capsys):
    for action in ("fetch", "path", "verify"):
        assert main(["data", action, "dss"]) == EXIT_USAGE
        assert "unknown dataset 'dss'. Did you mean: ds" in capsys.readouterr().err


def test_not_cached_exits_3(cached_ds, capsys):
    assert main(["data", "path", "ds"]) == EXIT_MISSING
    assert "fastlayers data fetch ds" in capsys.readouterr().err
    assert main(["data", "verify", "ds"]) == EXIT_MISSING
    assert main(["data", "verify"]) == EXIT_OK and "no dataset is cached" in capsys.readouterr().out


def test_fetch_exit_codes_tell_missing_from_bad(cached_ds, capsys):
    assert main(["data", "fetch", "other", "--no-progress"]) == EXIT_MISSING
    err = capsys.readouterr().err
    assert "sources tried" in err and "FASTLAYERS_DATA_MIRROR" in err and "Traceback" not in err
    (cached_ds / "other").mkdir()
    (cached_ds / "other" / "b.csv").write_bytes(b"not b")
    assert main(["data", "fetch", "other", "--no-progress"]) == EXIT_PROBLEMS
    assert "checksum mismatch for b.csv" in capsys.readouterr().err


def test_lessons_table_shows_the_twelve_lessons_and_what_exists(tmp_path, capsys):
    (tmp_path / "nbgrader_config.py").write_text("")
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "06_schedules.ipynb").write_text("{}")
    (tmp_path / "exercises" / "06_schedules").mkdir(parents=True)
    (tmp_path / "exercises" / "06_schedules" / "06_schedules.ipynb").write_text("{}")
    assert main(["lessons", "--root", str(tmp_path)]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    table = [line for line in lines[2:] if line[:2].isdigit()]
    assert [line[:2] for line in table] == [f"{n:02d}" for n in range(12)]
    row06 = table[6].split()
    assert row06[:2] == ["06", "schedules"] and "course/06_schedules.ipynb" in row06
    assert "exercises/06_schedules/06_schedules.ipynb" in row06 and row06.count("yes") == 2
    assert table[5].split().count("no") == 2


def test_lessons_without_a_course_folder_exits_3(tmp_path, capsys):
    assert main(["lessons", "--root", str(tmp_path / "nowhere")]) == EXIT_MISSING
    assert "--root" in capsys.readouterr().err


def test_console_script_runs(cached_ds, home):
    script = Path(sys.executable).with_name("fastlayers")
    assert script.exists(), "the fastlayers console script is not installed (pip install -e .)"
    done = subprocess.run([str(script), "data", "fetch", "ds", "--no-progress"], capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)
    assert done.returncode == EXIT_OK, done.stderr
    assert done.stdout.strip() == str(home / "datasets" / "ds")


def test_fetch_resolves_a_relative_mirror_where_the_command_was_typed(cached_ds, home, monkeypatch, capsys):
    monkeypatch.chdir(cached_ds.parent)
    monkeypatch.setenv("FASTLAYERS_DATA_MIRROR", "mirror")
    assert main(["data", "fetch", "ds", "--no-progress"]) == EXIT_OK
    assert os.environ["FASTLAYERS_DATA_MIRROR"] == str(cached_ds)  # and so for anything it starts


def test_fetch_into_a_read_only_cache_explains_itself(cached_ds, home, capsys):
    with read_only(home):
        assert main(["data", "fetch", "ds", "--no-progress"]) == EXIT_PROBLEMS
    err = capsys.readouterr().err
    assert str(home / "datasets") in err and "FASTLAYERS_HOME" in err and "Traceback" not in err


def test_fetch_reports_an_archive_tarfiles_filter_refuses_without_a_traceback(use_registry, tmp_path, monkeypatch,
                                                                              capsys):
    if not hasattr(tarfile, "data_filter"):
        pytest.skip("this Python's tarfile has no data filter")
    monkeypatch.setattr(archives, "_check_tar", lambda tar, archive, limit: tar.getmembers())  # only the filter
    bad = make_tar(tmp_path / "ds.tgz", [("a.csv", A), tar_link("escape", "../../outside")])
    (tmp_path / "mirror" / "ds").mkdir(parents=True)
    (tmp_path / "mirror" / "ds" / "ds.tgz").write_bytes(bad)
    monkeypatch.setenv("FASTLAYERS_DATA_MIRROR", str(tmp_path / "mirror"))
    use_registry(entry("ds", "http://127.0.0.1:9/unreachable/ds.tgz", {"a.csv": A}, dirs=["."],
                       archive={"sha256": None, "verified": False}))
    assert main(["data", "fetch", "ds", "--no-progress"]) == EXIT_PROBLEMS
    err = capsys.readouterr().err
    assert "mirror" in err and "ds.tgz" in err and "upstream" in err and "Traceback" not in err


def test_lab_hides_nbgrader_instructor_tools_unless_asked():
    import json
    from fastlayers.cli.lab_cmd import INSTRUCTOR_PLUGINS, QUIET_PLUGINS, STUDENT_CONFIG, lab_environment
    student = lab_environment(False, {"JUPYTER_CONFIG_PATH": "/elsewhere"})
    assert student["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(STUDENT_CONFIG), "/elsewhere"]
    assert "JUPYTER_CONFIG_PATH" not in lab_environment(True, {})
    disabled = json.loads((STUDENT_CONFIG / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    assert set(disabled) == set(INSTRUCTOR_PLUGINS) | set(QUIET_PLUGINS)
    server = json.loads((STUDENT_CONFIG / "jupyter_server_config.json").read_text())
    assert server["ServerApp"]["jpserver_extensions"]["nbgrader.server_extensions.formgrader"] is False
