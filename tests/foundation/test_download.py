"""get_dataset against a local HTTP server: good data, bad checksums, broken and stalling servers, interruptions."""
from __future__ import annotations

import json
import os
import time
import warnings

import pytest

from fastlayers.data import download, external
from fastlayers.data.external import DatasetUnavailable, get_dataset, verify

from .conftest import entry, leftovers, make_tar, read_only, sha256

A, B = b"alpha,1\n" * 500, b"beta,2\n" * 300


def _only_error(err: DatasetUnavailable) -> external.DatasetError:
    assert len(err.attempts) == 1, err
    return err.attempts[0][1]


def test_good_archive_is_extracted_verified_and_cached(server, use_registry, home, tmp_path):
    data = make_tar(tmp_path / "ds.tgz", [("ds/a.csv", A), ("ds/sub/b.csv", B), ("other.txt", b"x")])
    url = server.add("ds.tgz", data)
    use_registry(entry("ds", url, {"a.csv": A, "sub/b.csv": B},
                       archive={"root": "ds", "sha256": sha256(data), "verified": True}))
    path = get_dataset("ds", progress=False)
    assert path == home / "datasets" / "ds"
    assert (path / "a.csv").read_bytes() == A and (path / "sub" / "b.csv").read_bytes() == B
    assert not (path / "other.txt").exists()  # only the archive's root folder becomes the dataset
    manifest = json.loads((path / external.MANIFEST).read_text())
    assert manifest["sha256"] == {"a.csv": sha256(A), "sub/b.csv": sha256(B)} and manifest["unverified"] == []
    assert get_dataset("ds", progress=False) == path and server.hits["ds.tgz"] == 1  # second call: the cache
    assert [c.status for c in verify("ds")] == ["ok", "ok"]
    assert leftovers(home) == ["ds"]


def test_plain_files_under_a_base_url(server, use_registry):
    server.add("base/a.csv", A)
    server.add("base/sub/b.csv", B)
    use_registry(entry("plain", server.url("base/"), {"a.csv": A, "sub/b.csv": B}))
    path = get_dataset("plain", progress=False)
    assert (path / "sub" / "b.csv").read_bytes() == B


def test_wrong_checksum_names_file_expected_and_actual_and_leaves_nothing(server, use_registry, home):
    bad = A + b"tampered"
    server.add("base/a.csv", bad)
    use_registry(entry("ds", server.url("base/"), {"a.csv": A}))
    with pytest.raises(DatasetUnavailable) as info:
        get_dataset("ds", progress=False)
    err = _only_error(info.value)
    assert isinstance(err, external.ChecksumError)
    assert "a.csv" in str(err) and sha256(A) in str(err) and sha256(bad) in str(err)
    assert leftovers(home) == []


def test_archive_checksum_is_checked_before_opening_it(server, use_registry, home, tmp_path):
    data = make_tar(tmp_path / "ds.tgz", [("a.csv", A)])
    url = server.add("ds.tgz", data)
    wrong = sha256(b"another archive")
    use_registry(entry("ds", url, {"a.csv": A}, archive={"sha256": wrong, "verified": True}))
    with pytest.raises(DatasetUnavailable) as info:
        get_dataset("ds", progress=False)
    err = _only_error(info.value)
    assert isinstance(err, external.ChecksumError) and "ds.tgz" in str(err)
    assert wrong in str(err) and sha256(data) in str(err) and "unopened" in str(err)
    assert leftovers(home) == []


def test_truncated_body_is_detected_retried_and_leaves_nothing(server, use_registry, home):
    server.add("base/a.csv", A, mode="truncate")
    use_registry(entry("ds", server.url("base/"), {"a.csv": A}))
    with pytest.raises(DatasetUnavailable) as info:
        get_dataset("ds", progress=False, retries=1)
    err = _only_error(info.value)
    assert isinstance(err, external.DownloadError) and "truncated" in str(err)
    assert f"received {len(A) // 2} of {len(A)} bytes" in str(err)
    assert server.hits["base/a.csv"] == 2
    assert leftovers(home) == []


def test_stalling_server_times_out(server, use_registry, home):
    server.add("base/a.csv", A, mode="stall")
    use_registry(entry("ds", server.url("base/"), {"a.csv": A}))
    start = time.perf_counter()
    with pytest.raises(DatasetUnavailable) as info:
        get_dataset("ds", progress=False, timeout=0.3, retries=1)
    assert time.perf_counter() - start < 5
    assert "timed out" in str(_only_error(info.value))
    assert server.hits["base/a.csv"] == 2
    assert leftovers(home) == []


def test_transient_failures_are_retried_within_one_call(server, use_registry):
    server.add("base/a.csv", A, fail_first=1, first_mode="truncate")
    server.add("base/b.csv", B, fail_first=2, first_mode="error500")
    use_registry(entry("ds", server.url("base/"), {"a.csv": A, "b.csv": B}))
    path = get_dataset("ds", progress=False, retries=2)
    assert (path / "a.csv").read_bytes() == A and (path / "b.csv").read_bytes() == B
    assert server.hits["base/a.csv"] == 2 and server.hits["base/b.csv"] == 3


def test_http_404_is_final_not_retried(server, use_registry):
    use_registry(entry("ds", server.url("base/"), {"a.csv": A}))
    with pytest.raises(DatasetUnavailable, match="HTTP 404"):
        get_dataset("ds", progress=False, retries=3)
    assert server.hits["base/a.csv"] == 1


def test_interrupted_download_leaves_nothing_and_a_retry_succeeds(server, use_registry, home, monkeypatch):
    server.add("base/a.csv", A, delay=0.01)
    use_registry(entry("ds", server.url("base/"), {"a.csv": A}))

    class CtrlC:  # a progress bar that "receives" Ctrl-C after the first chunk
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n):
            raise KeyboardInterrupt

    real_bar = download._progress_bar
    monkeypatch.setattr(download, "_progress_bar", lambda *a: CtrlC())
    with pytest.raises(KeyboardInterrupt):
        get_dataset("ds")
    assert leftovers(home) == []
    monkeypatch.setattr(download, "_progress_bar", real_bar)
    assert (get_dataset("ds", progress=False) / "a.csv").read_bytes() == A


def test_work_folders_of_killed_processes_are_cleaned_up(server, use_registry, home):
    server.add("base/a.csv", A)
    use_registry(entry("ds", server.url("base/"), {"a.csv": A}))
    stale = home / "datasets" / ".tmp-ds-killed"
    stale.mkdir(parents=True)
    (stale / "half.csv").write_bytes(A[:10])
    get_dataset("ds", progress=False)
    assert leftovers(home) == ["ds"]


def test_progress_bar_goes_to_stderr(server, use_registry, capsys):
    server.add("base/a.csv", A)
    use_registry(entry("ds", server.url("base/"), {"a.csv": A}))
    get_dataset("ds", progress=True)
    captured = capsys.readouterr()
    assert "ds/a.csv" in captured.err and captured.out == ""


def test_force_fetches_again_and_replaces_the_copy(server, use_registry):
    server.add("base/a.csv", A)
    use_registry(entry("ds", server.url("base/"), {"a.csv": A}))
    path = get_dataset("ds", progress=False)
    (path / "extra.txt").write_text("left from the old copy")
    assert get_dataset("ds", progress=False, force=True) == path
    assert server.hits["base/a.csv"] == 2 and not (path / "extra.txt").exists()


def test_a_damaged_cache_is_fetched_again(server, use_registry):
    server.add("base/a.csv", A)
    use_registry(entry("ds", server.url("base/"), {"a.csv": A}))
    path = get_dataset("ds", progress=False)
    (path / "a.csv").unlink()
    with pytest.warns(external.DamagedCacheWarning, match="fetching it again"):
        assert (get_dataset("ds", progress=False) / "a.csv").read_bytes() == A
    assert server.hits["base/a.csv"] == 2


def test_unverified_files_warn_are_recorded_and_checked_later(server, use_registry):
    server.add("base/a.csv", A)
    use_registry(entry("ds", server.url("base/"), {"a.csv": None}))
    with pytest.warns(external.UnverifiedDatasetWarning, match="no checksum for a.csv"):
        path = get_dataset("ds", progress=False)
    assert json.loads((path / external.MANIFEST).read_text())["sha256"] == {"a.csv": sha256(A)}
    assert [(c.status, c.ok) for c in verify("ds")] == [("unverified", False)]
    (path / "a.csv").write_bytes(B)
    assert verify("ds")[0].status == "mismatch"


def test_verify_reports_mismatch_and_missing_files(server, use_registry):
    server.add("base/a.csv", A)
    server.add("base/b.csv", B)
    use_registry(entry("ds", server.url("base/"), {"a.csv": A, "b.csv": B}))
    path = get_dataset("ds", progress=False)
    (path / "a.csv").write_bytes(A[:-1])
    (path / "b.csv").unlink()
    checks = {c.path: c for c in verify("ds")}
    assert checks["a.csv"].status == "mismatch" and checks["a.csv"].actual == sha256(A[:-1])
    assert checks["b.csv"].status == "missing"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [c.status for c in verify("ds")] == ["mismatch", "missing"]


# ---------------------------------------------------------------- servers that never finish or never stop

def test_a_trickling_server_hits_the_overall_deadline(server, use_registry, home):
    # One byte every 50 ms: each read succeeds well within `timeout`, so only a deadline for the whole
    # download stops it (without one, this 200-byte body would arrive in full after 10 s).
    server.add("base/a.csv", A[:200], mode="trickle", delay=0.05)
    use_registry(entry("ds", server.url("base/"), {"a.csv": A[:200]}))
    with pytest.raises(DatasetUnavailable) as info:
        get_dataset("ds", progress=False, timeout=5, retries=2, deadline=0.5)
    err = _only_error(info.value)
    assert isinstance(err, external.DownloadError) and "within the 0.5 s allowed" in str(err)
    assert server.hits["base/a.csv"] == 1  # the deadline covers every attempt: no retry after it
    assert leftovers(home) == []
    server.release.wait(1)  # let the server notice the hang-up
    assert server.sent["base/a.csv"] < 200  # the connection was cut at the deadline, not read to the end


def test_a_server_trickling_its_headers_hits_the_deadline(server, use_registry):
    server.add("base/a.csv", A, mode="trickle_headers", delay=0.05)  # ~40 header bytes: 2 s without a deadline
    use_registry(entry("ds", server.url("base/"), {"a.csv": A}))
    with pytest.raises(DatasetUnavailable, match="within the 0.3 s allowed"):
        get_dataset("ds", progress=False, timeout=5, retries=0, deadline=0.3)


def test_the_deadline_leaves_a_normal_download_alone(server, use_registry):
    server.add("base/a.csv", A)
    use_registry(entry("ds", server.url("base/"), {"a.csv": A}))
    assert (get_dataset("ds", progress=False, deadline=60) / "a.csv").read_bytes() == A


def test_a_body_announced_larger_than_the_entry_allows_is_not_downloaded(server, use_registry, home):
    server.add("base/a.csv", A)
    use_registry(entry("ds", server.url("base/"), {"a.csv": A}, max_bytes=1000))
    with pytest.raises(DatasetUnavailable) as info:
        get_dataset("ds", progress=False)
    err = _only_error(info.value)
    assert isinstance(err, external.TooLargeError) and "announces 4.0 KB, more than the 1.0 KB" in str(err)
    assert server.hits["base/a.csv"] == 1 and leftovers(home) == []


def test_a_body_without_length_is_cut_off_at_the_limit(server, use_registry, home):
    server.add("base/a.csv", A, mode="no_length")
    use_registry(entry("ds", server.url("base/"), {"a.csv": A}, max_bytes=1000))
    with pytest.raises(DatasetUnavailable, match="sent more than the 1.0 KB expected"):
        get_dataset("ds", progress=False)
    assert leftovers(home) == []


def test_a_mirror_file_larger_than_the_entry_allows_is_not_copied(use_registry, tmp_path, monkeypatch, home):
    (tmp_path / "mirror" / "ds").mkdir(parents=True)
    (tmp_path / "mirror" / "ds" / "a.csv").write_bytes(A)
    monkeypatch.setenv("FASTLAYERS_DATA_MIRROR", str(tmp_path / "mirror"))
    use_registry(entry("ds", "http://127.0.0.1:9/unreachable/", {"a.csv": A}, max_bytes=1000))
    with pytest.raises(DatasetUnavailable, match="not copied") as info:
        get_dataset("ds", progress=False, retries=0)
    assert isinstance(info.value.attempts[0][1], external.TooLargeError) and leftovers(home) == []


# ---------------------------------------------------------------- a cache that went bad

@pytest.fixture
def cached(server, use_registry):
    """Dataset `ds` (files a.csv and b.csv) fetched once from the local server."""
    server.add("base/a.csv", A)
    server.add("base/b.csv", B)
    use_registry(entry("ds", server.url("base/"), {"a.csv": A, "b.csv": B}))
    return get_dataset("ds", progress=False)


def test_a_truncated_cached_file_is_never_returned(cached, server):
    (cached / "a.csv").write_bytes(A[:100])  # e.g. a copy interrupted by a full disk
    with pytest.warns(external.DamagedCacheWarning, match="no longer matches its checksums"):
        path = get_dataset("ds", progress=False)
    assert (path / "a.csv").read_bytes() == A and server.hits["base/a.csv"] == 2


def test_a_same_size_change_is_caught_by_the_stamp_or_by_verify(cached, server):
    before = (cached / "b.csv").stat()
    (cached / "b.csv").write_bytes(B.replace(b"beta", b"BETA"))  # same size, new time: the stamp notices
    with pytest.warns(external.DamagedCacheWarning):
        get_dataset("ds", progress=False)
    assert (cached / "b.csv").read_bytes() == B and server.hits["base/b.csv"] == 2
    # Same size and the old time put back: only the full hash of `verify` can tell, and then the copy is
    # re-fetched on its next use rather than trusted.
    before = (cached / "b.csv").stat()
    (cached / "b.csv").write_bytes(B.replace(b"beta", b"BETA"))
    os.utime(cached / "b.csv", ns=(before.st_atime_ns, before.st_mtime_ns))
    assert get_dataset("ds", progress=False) == cached and server.hits["base/b.csv"] == 2
    assert [c.status for c in verify("ds")] == ["ok", "mismatch"]
    with pytest.warns(external.DamagedCacheWarning):
        get_dataset("ds", progress=False)
    assert (cached / "b.csv").read_bytes() == B and server.hits["base/b.csv"] == 3


def test_a_copied_cache_is_rehashed_once_and_kept(cached, server):
    (cached / external.STAMP).unlink()  # as left by an older fastlayers, or a copy without its stamp
    os.utime(cached / "a.csv", ns=(0, 0))  # as `cp` without -p leaves it: new times, same bytes
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert get_dataset("ds", progress=False) == cached
    assert server.hits["base/a.csv"] == 1 and (cached / external.STAMP).is_file()


def test_a_file_whose_size_differs_from_the_registry_is_not_trusted(cached, server, monkeypatch):
    (cached / "a.csv").write_bytes(A[:-1])
    external._write_stamp(external._lookup("ds"), cached)  # a stamp that agrees with the damage
    with pytest.warns(external.DamagedCacheWarning):
        get_dataset("ds", progress=False)
    assert (cached / "a.csv").read_bytes() == A


# ---------------------------------------------------------------- a cache nobody may write to

@pytest.mark.parametrize("locked", ["home", "home/datasets"])  # the cache folder cannot be made, or written to
def test_a_read_only_cache_says_which_folder_and_how_to_move_it(server, use_registry, home, locked):
    server.add("base/a.csv", A)
    use_registry(entry("ds", server.url("base/"), {"a.csv": A}))
    with read_only(home.parent / locked):
        with pytest.raises(external.CacheNotWritableError) as info:
            get_dataset("ds", progress=False)
    message = str(info.value)
    assert str(home / "datasets") in message and "FASTLAYERS_HOME" in message
    assert server.hits["base/a.csv"] == 0


def test_a_good_copy_in_a_read_only_cache_is_still_returned(cached, server, home):
    (cached / external.STAMP).unlink()  # a shared, read-only cache prepared by someone else without a stamp
    with read_only(cached), read_only(cached.parent):
        assert get_dataset("ds", progress=False) == cached
    assert server.hits["base/a.csv"] == 1
