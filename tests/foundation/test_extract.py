"""Safe extraction: archives that try to write outside the target folder are refused whole."""
from __future__ import annotations

import os
import tarfile
import zipfile

import pytest

from fastlayers.data import archives, external
from fastlayers.data.external import DatasetUnavailable, UnsafeArchiveError, extract_archive, get_dataset

from .conftest import entry, leftovers, make_tar, make_zip, tar_link


_DATA_FILTER = getattr(tarfile, "data_filter", None)


@pytest.fixture(autouse=True)
def own_checks_only(monkeypatch):
    """Extract as Pythons without tarfile's `data` filter do (3.10 before 3.10.12, 3.11 before 3.11.4), so that
    every test proves the project's own checks; tests of the filter put it back with `with_data_filter`."""
    monkeypatch.delattr(tarfile, "data_filter", raising=False)


@pytest.fixture
def with_data_filter(monkeypatch):
    if _DATA_FILTER is None:
        pytest.skip("this Python's tarfile has no data filter")
    monkeypatch.setattr(tarfile, "data_filter", _DATA_FILTER, raising=False)


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


# ---------------------------------------------------------------- links that change meaning, bombs, tarfile's filter

def _link_trick(tmp_path, file_name="l3"):
    # a/b/c/l1 points at the root (inside), l3 through l1 four levels up (inside by text, outside on disk),
    # then a regular file named l3 is written through the link l3 to the victim.
    return make_tar(tmp_path / "trick.tgz", [tar_link("a/b/c/l1", "../../.."),
                                             tar_link("l3", "a/b/c/l1/../../../../victim"),
                                             (file_name, b"pwned")])


@pytest.mark.parametrize("with_filter", [False, True])
def test_a_file_named_like_an_earlier_link_is_refused_on_every_python(tmp_path, request, with_filter):
    if with_filter:
        request.getfixturevalue("with_data_filter")
    target = tmp_path / "h" / "cache" / "out"
    _link_trick(tmp_path)
    err = _refused(tmp_path / "trick.tgz", target)
    assert "l3" in str(err) and type(err) is UnsafeArchiveError  # our own check, not tarfile's filter
    assert not any(p.name == "victim" for p in tmp_path.rglob("*"))


@pytest.mark.parametrize("file_name", ["l3", "L3"])  # one file on macOS and Windows, which ignore case
def test_no_member_is_written_over_a_link_even_one_pointing_inside(tmp_path, target, file_name):
    make_tar(tmp_path / "over.tgz", [("a.txt", b"a"), tar_link("l3", "a.txt"), (file_name, b"through")])
    _refused(tmp_path / "over.tgz", target, "name of a link")


def test_the_link_trick_is_refused_with_each_name_spelling(tmp_path):
    _link_trick(tmp_path, file_name="L3")
    _refused(tmp_path / "trick.tgz", tmp_path / "out")


def test_a_link_resolved_through_a_later_link_is_refused(tmp_path, target):
    # x -> d/.. is the root while d is a folder; once d becomes a link to '.', x is the root's parent.
    make_tar(tmp_path / "late.tgz", [tar_link("x", "d/.."), tar_link("d", ".")])
    _refused(tmp_path / "late.tgz", target, "points outside", "'x'")


def test_members_under_the_name_of_a_later_link_are_refused(tmp_path, target):
    make_tar(tmp_path / "later.tgz", [("d/f", b"f"), tar_link("d", ".")])
    _refused(tmp_path / "later.tgz", target, "written through a link")


def test_a_chain_of_links_that_climbs_out_is_refused(tmp_path, target):
    make_tar(tmp_path / "chain.tgz", [tar_link("a", "."), tar_link("b", "a/..")])
    _refused(tmp_path / "chain.tgz", target, "points outside", "'b'")


def test_a_loop_of_links_is_refused(tmp_path, target):
    make_tar(tmp_path / "loop.tgz", [tar_link("x", "y/f"), tar_link("y", "x")])
    _refused(tmp_path / "loop.tgz", target, "more than 40 links")


@pytest.mark.parametrize("hard_target", ["s/f", "nothere", "s"])
def test_hard_links_must_name_a_file_of_the_archive(tmp_path, target, hard_target):
    make_tar(tmp_path / "hard.tgz", [("f", b"f"), tar_link("s", "."), tar_link("h", hard_target, hard=True)])
    _refused(tmp_path / "hard.tgz", target, "hard link 'h'")


def test_a_hard_link_to_a_file_of_the_archive_is_extracted(tmp_path, target):
    make_tar(tmp_path / "ok.tgz", [("d/f", b"data"), tar_link("g", "d/f", hard=True)])
    extract_archive(tmp_path / "ok.tgz", target)
    assert (target / "g").read_bytes() == b"data"


ZEROS = b"\0" * (20 * 2 ** 20)  # 20 MiB that compress to a few KB


def test_a_zip_bomb_is_refused_before_anything_is_written(tmp_path, target):
    make_zip(tmp_path / "bomb.zip", [("small.txt", b"ok"), ("zeros.bin", ZEROS)])
    assert (tmp_path / "bomb.zip").stat().st_size < 100_000
    with pytest.raises(UnsafeArchiveError, match="declare 21.0 MB in all, more than the 10.0 MB") as info:
        extract_archive(tmp_path / "bomb.zip", target, max_bytes=10_000_000)
    assert "refused before writing" in str(info.value) and list(target.iterdir()) == []


def test_a_tar_bomb_is_refused_before_anything_is_written(tmp_path, target):
    make_tar(tmp_path / "bomb.tgz", [("small.txt", b"ok"), ("zeros.bin", ZEROS)])
    with pytest.raises(UnsafeArchiveError, match="more than the 10.0 MB"):
        extract_archive(tmp_path / "bomb.tgz", target, max_bytes=10_000_000)
    assert list(target.iterdir()) == []


def test_without_a_limit_archives_get_the_default_cap(tmp_path, target, monkeypatch):
    monkeypatch.setattr(archives, "MAX_UNPACKED_BYTES", 1_000_000)
    make_zip(tmp_path / "bomb.zip", [("zeros.bin", ZEROS)])
    _refused(tmp_path / "bomb.zip", target, "more than the 1.0 MB")


def test_an_archive_with_too_many_members_is_refused(tmp_path, target, monkeypatch):
    monkeypatch.setattr(archives, "MAX_MEMBERS", 3)
    make_tar(tmp_path / "many.tgz", [(f"{i}.txt", b"x") for i in range(5)])
    _refused(tmp_path / "many.tgz", target, "more than 3 members")
    make_zip(tmp_path / "many.zip", [(f"{i}.txt", b"x") for i in range(5)])
    _refused(tmp_path / "many.zip", target, "more than 3 members")


def test_a_bomb_from_a_server_is_refused_by_the_entry_limit(server, use_registry, home, tmp_path):
    data = make_zip(tmp_path / "bomb.zip", [("a.csv", b"a"), ("zeros.bin", ZEROS)])
    use_registry(entry("ds", server.add("bomb.zip", data), {"a.csv": b"a"}, max_bytes=10_000_000,
                       archive={"sha256": None, "verified": False}))
    with pytest.raises(DatasetUnavailable) as info:
        get_dataset("ds", progress=False)
    assert isinstance(info.value.attempts[0][1], UnsafeArchiveError) and "10.0 MB" in str(info.value)
    assert leftovers(home) == []


def test_a_damaged_archive_is_a_dataset_error(tmp_path, target):
    data = make_tar(tmp_path / "ok.tgz", [("a.txt", b"a" * 100_000)])
    (tmp_path / "cut.tgz").write_bytes(data[: len(data) // 2])
    with pytest.raises(external.DatasetError, match="damaged"):
        extract_archive(tmp_path / "cut.tgz", target)


@pytest.fixture
def only_tarfile_checks(monkeypatch, with_data_filter):
    """Our own member checks switched off, so that what tarfile's data filter refuses reaches the registry."""
    monkeypatch.setattr(archives, "_check_tar", lambda tar, archive, limit: tar.getmembers())


def test_what_tarfiles_filter_refuses_becomes_the_registrys_error(tmp_path, target, only_tarfile_checks):
    make_tar(tmp_path / "bad.tgz", [tar_link("escape", "../../outside")])
    with pytest.raises(UnsafeArchiveError, match="bad.tgz"):
        extract_archive(tmp_path / "bad.tgz", target)


def test_after_a_filter_refusal_the_next_source_is_tried(server, use_registry, tmp_path, monkeypatch,
                                                          only_tarfile_checks):
    bad = make_tar(tmp_path / "bad.tgz", [("ds/a.csv", b"a"), tar_link("ds/escape", "../../../outside")])
    good = make_tar(tmp_path / "good.tgz", [("ds/a.csv", b"a")])
    (tmp_path / "mirror" / "ds").mkdir(parents=True)
    (tmp_path / "mirror" / "ds" / "ds.tgz").write_bytes(bad)
    monkeypatch.setenv("FASTLAYERS_DATA_MIRROR", str(tmp_path / "mirror"))
    use_registry(entry("ds", server.add("ds.tgz", good), {"a.csv": b"a"}, dirs=["."],
                       archive={"root": "ds", "sha256": None, "verified": False}))
    path = get_dataset("ds", progress=False)  # the mirror's archive is refused by the filter, upstream is fine
    assert (path / "a.csv").read_bytes() == b"a" and server.hits["ds.tgz"] == 1
