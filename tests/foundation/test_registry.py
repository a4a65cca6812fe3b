"""datasets.yml: the shipped entries, and the rules that keep checksums honest."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fastlayers.data import external
from fastlayers.data.external import RegistryError, UnknownDatasetError, dataset_path, fastlayers_home, registry

from .conftest import entry

REPO = Path(__file__).resolve().parents[2]
REQUIRED = ["imdb_sample", "imdb", "fashion_mnist", "uci_har", "basic_motions", "japanese_vowels", "digits"]


def test_the_shipped_registry_lists_every_course_dataset_with_its_metadata():
    entries = registry()
    assert set(REQUIRED) <= set(entries)
    for info in entries.values():
        assert info.description and info.task and info.license and info.citation
        assert info.url.startswith(("https://", "http://")) and (info.files or info.dirs)
    assert entries["basic_motions"].package == ("aeon", "datasets/data/BasicMotions")
    assert entries["digits"].package == ("sklearn", "datasets/data")
    assert entries["imdb_sample"].files[0].sha256 == (
        "91240460ea1226e2ebe64689addc2a3d7a0fd233ee42a589aec222ea973ac242")


def test_the_package_copy_of_the_registry_is_the_repository_file():
    shipped = Path(external.__file__).with_name("datasets.yml")
    assert shipped.resolve() == (REPO / "datasets.yml").resolve()


def test_cache_location_follows_fastlayers_home(home, monkeypatch):
    assert fastlayers_home() == home and dataset_path("digits") == home / "datasets" / "digits"
    monkeypatch.delenv("FASTLAYERS_HOME")
    assert fastlayers_home() == Path.home() / ".fastlayers"


def test_unknown_names_suggest_close_ones():
    with pytest.raises(UnknownDatasetError) as info:
        dataset_path("fashion_mnst")
    assert info.value.suggestions[0] == "fashion_mnist" and "fastlayers data list" in str(info.value)
    with pytest.raises(UnknownDatasetError) as info:
        dataset_path("zzzz")
    assert info.value.suggestions == []


GOOD = "a" * 64


@pytest.mark.parametrize("change, message", [
    ({"files": [{"path": "a.csv", "sha256": GOOD, "verified": False}]}, "must not be written down"),
    ({"files": [{"path": "a.csv", "sha256": None, "verified": True}]}, "verified: true"),
    ({"files": [{"path": "a.csv", "sha256": None}]}, "verified: false"),
    ({"files": [{"path": "a.csv", "sha256": "ABC", "verified": True}]}, "64 lowercase hex"),
    ({"files": [{"path": "../a.csv", "sha256": GOOD, "verified": True}]}, "must be relative"),
    ({"files": [{"path": "/etc/a.csv", "sha256": GOOD, "verified": True}]}, "must be relative"),
    ({"files": [{"sha256": GOOD, "verified": True}]}, "needs a `path`"),
    ({"files": []}, "at least one file"),
    ({"name": "Bad Name"}, "lowercase letters"),
    ({"archive": {"sha256": GOOD, "verified": False}}, "must not be written down"),
    ({"package": {"module": "aeon"}}, "`module` and `path`"),
    ({"license": None, "citation": None}, None),
])
def test_malformed_entries_are_refused_with_a_clear_message(use_registry, change, message):
    raw = {**entry("ds", "https://example.org/ds/", {"a.csv": b"a"}), **change}
    if message is None:  # fields present but empty are still readable; only missing keys are refused
        raw = {k: v for k, v in raw.items() if k not in change}
        message = "missing license, citation"
    use_registry(raw)
    with pytest.raises(RegistryError, match=message):
        registry()


def test_duplicate_names_and_broken_files_are_refused(use_registry, tmp_path, monkeypatch):
    one = entry("ds", "https://example.org/", {"a.csv": b"a"})
    use_registry(one, one)
    with pytest.raises(RegistryError, match="listed twice"):
        registry()
    path = tmp_path / "broken.yml"
    path.write_text("datasets: [unclosed")
    monkeypatch.setenv("FASTLAYERS_REGISTRY", str(path))
    with pytest.raises(RegistryError, match="not valid YAML"):
        registry()
    path.write_text(yaml.safe_dump({"sets": []}))
    with pytest.raises(RegistryError, match="top-level `datasets:` list"):
        registry()
    monkeypatch.setenv("FASTLAYERS_REGISTRY", str(tmp_path / "missing.yml"))
    with pytest.raises(RegistryError, match="cannot read"):
        registry()
