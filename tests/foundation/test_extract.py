"""Safe extraction: archives that try to write outside the target folder are refused whole."""
from __future__ import annotations

import os
import tarfile
import zipfile

import pytest

from fastlayers.data import external
from fastlayers.data.external import DatasetUnavailable, UnsafeArchiveError, extract_archive, get_dataset

from .conftest import entry, leftovers, make_tar, make_zip, tar_link


@pytest.fixture
def target(tmp_path):
    """An extraction folder two levels deep, so '..' escapes land in tmp_path where the test can look."""
    return tmp_path / "cache" / "out"


def _refused(archive, target, *words):
    with pytest.raises(UnsafeArchiveError) as info:
        extract_archive(archive, target)
    for word in words:
        assert word in str(info.value)
    assert not target.exists() or list(target.iterdir()) == []  # nothing at all was written
    return info.value


def test_a_safe_archive_with_an_inner_link_is_extracted(tmp_path, target):
    make_tar(tmp_path / "ok.tgz", [("v1/a.txt", b"a"), tar_link("latest", "v1"), ("v1/deep/b.txt", b"b")])
    extract_archive(tmp_path / "ok.tgz", target)
    assert (target / "latest" / "a.txt").read_bytes() == b"a" and (target / "v1/deep/b.txt").read_bytes() == b"b"


def test_tar_path_traversal_is_refused(tmp_path, target):
    make_tar(tmp_path / "bad.tgz", [("fine.txt", b"ok"), ("../../evil.txt", b"pwned")])
    _refused(tmp_path / "bad.tgz", target, "'..'", "../../evil.txt")
    assert not (tmp_path / "evil.txt").exists()


def test_tar_absolute_path_is_refused(tmp_path, target):
    victim = tmp_path / "abs.txt"
    make_tar(tmp_path / "bad.tar", [(str(victim), b"pwned")], mode="w")
    _refused(tmp_path / "bad.tar", target, "absolute path")
    assert not victim.exists()


def test_tar_symlink_pointing_outside_is_refused(tmp_path, target):
    make_tar(tmp_path / "bad.tgz", [tar_link("escape", "../../outside"), ("escape/evil.txt", b"pwned")])
    _refused(tmp_path / "bad.tgz", target, "points outside", "escape")
    assert not (tmp_path / "outside").exists()


def test_tar_symlink_to_an_absolute_path_is_refused(tmp_path, target):
    make_tar(tmp_path / "bad.tgz", [tar_link("etc", str(tmp_path))])
    _refused(tmp_path / "bad.tgz", target, "absolute path", "etc")


def test_tar_member_written_through_a_link_is_refused(tmp_path, target):
    # Each link alone points inside, but writing `sub/up/up2` through `sub/up` would make up2 point above the root.
    make_tar(tmp_path / "bad.tgz", [("sub/x.txt", b"x"), tar_link("sub/up", ".."), tar_link("sub/up/up2", ".."),
                                    ("sub/up/up2/evil.txt", b"pwned")])
    _refused(tmp_path / "bad.tgz", target, "written through a link")
    assert not (tmp_path / "cache" / "evil.txt").exists()


def test_tar_hard_link_pointing_outside_is_refused(tmp_path, target):
    make_tar(tmp_path / "bad.tgz", [tar_link("hard", "../../secret", hard=True)])
    _refused(tmp_path / "bad.tgz", target, "points outside", "hard")


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_tar_device_files_and_pipes_are_refused(tmp_path, target, kind):
    member = tarfile.TarInfo("dev/null")
    member.type, member.devmajor, member.devminor = kind, 1, 3
    make_tar(tmp_path / "bad.tgz", [("a.txt", b"a"), member])
    _refused(tmp_path / "bad.tgz", target, "device file or pipe", "dev/null")


def test_zip_path_traversal_is_refused(tmp_path, target):
    make_zip(tmp_path / "bad.zip", [("fine.txt", b"ok"), ("../../evil.txt", b"pwned")])
    _refused(tmp_path / "bad.zip", target, "'..'")


@pytest.mark.parametrize("name", ["/abs/evil.txt", "C:/evil.txt", "..\\..\\evil.txt"])
def test_zip_absolute_and_windows_paths_are_refused(tmp_path, target, name):
    make_zip(tmp_path / "bad.zip", [(name, b"pwned")])
    _refused(tmp_path / "bad.zip", target, repr(name).strip("'").split("\\")[0])


def test_zip_symlink_member_is_refused(tmp_path, target):
    link = zipfile.ZipInfo("escape")
    link.external_attr = (0o120777 << 16)  # a symlink, as `zip --symlinks` writes it
    make_zip(tmp_path / "bad.zip", [link])
    _refused(tmp_path / "bad.zip", target, "link or special file")


def test_a_file_that_is_no_archive_is_reported(tmp_path, target):
    (tmp_path / "page.tgz").write_text("<html>Access denied</html>")
    with pytest.raises(external.DatasetError, match="neither a tar nor a zip"):
        extract_archive(tmp_path / "page.tgz", target)


def test_an_unsafe_archive_from_a_server_never_reaches_the_cache(server, use_registry, home, tmp_path):
    data = make_tar(tmp_path / "bad.tgz", [("a.csv", b"a"), ("../../../../evil.csv", b"pwned")])
    use_registry(entry("ds", server.add("bad.tgz", data), {"a.csv": b"a"}, archive={"sha256": None, "verified": False}))
    with pytest.raises(DatasetUnavailable) as info:
        get_dataset("ds", progress=False)
    assert isinstance(info.value.attempts[0][1], UnsafeArchiveError)
    assert leftovers(home) == []
    assert not any(p.name == "evil.csv" for p in tmp_path.rglob("*")) and not os.path.exists("/evil.csv")
