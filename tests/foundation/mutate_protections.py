"""Remove each protection of the dataset registry and the training layer in turn and check that a test fails.

Run by hand from the repository root (a few minutes): `python tests/foundation/mutate_protections.py [WORD]`
(WORD: only mutants whose file, code or test contains it). Every line should say CAUGHT; the library files are
restored afterwards, also on Ctrl-C.
"""
import pathlib
import subprocess
import sys

LIB = pathlib.Path("library/fastlayers")
ARCHIVES, DOWNLOAD, EXTERNAL = LIB / "data/archives.py", LIB / "data/download.py", LIB / "data/external.py"
DATA_CMD, LOADER = LIB / "cli/data_cmd.py", LIB / "data/loader.py"
CHECKPOINT, LEARNER = LIB / "training/checkpoint.py", LIB / "training/learner.py"
FOUNDATION, TRAINING = "tests/foundation/", "tests/training/"

# (file, code, what replaces it, the tests that must catch it)
M = [
    # safe extraction
    (ARCHIVES, 'if ".." in pure.parts:', 'if False:', FOUNDATION + "test_extract.py"),
    (ARCHIVES, 'if pure.is_absolute() or re.match(r"^[A-Za-z]:", normalised):', 'if False:',
     FOUNDATION + "test_extract.py"),
    (ARCHIVES, 'if under:', 'if False:', FOUNDATION + "test_extract.py"),
    (ARCHIVES, 'if links.get(_key(path), m) is not m:', 'if False:', FOUNDATION + "test_extract.py"),
    (ARCHIVES, 'return unicodedata.normalize("NFC", str(path)).casefold()', 'return str(path)',
     FOUNDATION + "test_extract.py"),
    (ARCHIVES, 'if m.ischr() or m.isblk() or m.isfifo():', 'if False:', FOUNDATION + "test_extract.py"),
    (ARCHIVES, 'if PurePosixPath(target).is_absolute() or re.match(r"^[A-Za-z]:", target):', 'if False:',
     FOUNDATION + "test_extract.py"),
    (ARCHIVES, 'if not parts:\n                raise', 'if not parts:\n                continue\n                raise',
     FOUNDATION + "test_extract.py"),
    (ARCHIVES, 'hit = links.get(_key(PurePosixPath(*parts)))', 'hit = None', FOUNDATION + "test_extract.py"),
    (ARCHIVES, 'if hops[0] < 0:', 'if False:', FOUNDATION + "test_extract.py"),
    (ARCHIVES, 'if m.islnk() and _key(PurePosixPath(m.linkname)) not in files:', 'if False:',
     FOUNDATION + "test_extract.py"),
    (ARCHIVES, '    for path, m in members:\n        _through_link(path, m, links, archive)\n', '',
     FOUNDATION + "test_extract.py"),
    (ARCHIVES, '    for m in links.values():\n        _check_link(m, links, files, archive)\n', '',
     FOUNDATION + "test_extract.py"),
    (ARCHIVES, 'if mode and (mode & 0o170000) not in (0o100000, 0o040000, 0):', 'if False:',
     FOUNDATION + "test_extract.py"),
    (ARCHIVES, 'if total > limit:', 'if False:', FOUNDATION + "test_extract.py"),
    (ARCHIVES, 'if len(members) >= MAX_MEMBERS:', 'if False:', FOUNDATION + "test_extract.py"),
    (ARCHIVES, 'if len(infos) > MAX_MEMBERS:', 'if False:', FOUNDATION + "test_extract.py"),
    (ARCHIVES, 'extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}', 'extra = {}',
     FOUNDATION + "test_extract.py"),
    (ARCHIVES, 'except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error) as err:',
     'except (zipfile.BadZipFile,) as err:', FOUNDATION + "test_cli.py"),
    # downloading
    (DOWNLOAD, 'if total is not None and received < total:', 'if False:', FOUNDATION + "test_download.py"),
    (DOWNLOAD, '.open(request, timeout=timeout)', '.open(request)', FOUNDATION + "test_download.py"),
    (DOWNLOAD, 'self._timer.start()', 'pass', FOUNDATION + "test_download.py"),
    (DOWNLOAD, 'watchdog._socks.append(self.sock)', 'pass', FOUNDATION + "test_download.py"),
    (DOWNLOAD, 'if max_bytes is not None and total is not None and total > max_bytes:', 'if False:',
     FOUNDATION + "test_download.py"),
    (DOWNLOAD, 'if max_bytes is not None and received > max_bytes:', 'if False:', FOUNDATION + "test_download.py"),
    (DOWNLOAD, 'for attempt in range(retries + 1):', 'for attempt in range(1):', FOUNDATION + "test_download.py"),
    (DOWNLOAD, 'if err.code < 500 and err.code not in (408, 429):', 'if False:', FOUNDATION + "test_download.py"),
    # the registry and its cache
    (EXTERNAL, 'if actual != expected:', 'if False:', FOUNDATION + "test_download.py"),
    (EXTERNAL, 'if info.archive_sha256 and actual != info.archive_sha256:', 'if False:',
     FOUNDATION + "test_download.py"),
    (EXTERNAL, 'fcntl.flock(fh, fcntl.LOCK_EX)', 'pass', FOUNDATION + "test_sources.py"),
    (EXTERNAL, 'if not force and _is_good(info, final):  # another', 'if False:  # another',
     FOUNDATION + "test_sources.py"),
    (EXTERNAL, '            shutil.rmtree(work, ignore_errors=True)', '            pass',
     FOUNDATION + "test_download.py"),
    (EXTERNAL, '        shutil.rmtree(stale, ignore_errors=True)', '        pass', FOUNDATION + "test_download.py"),
    (EXTERNAL, 'if raw.get("verified") is not has_hash:', 'if False:', FOUNDATION + "test_registry.py"),
    (EXTERNAL, 'return now == stamp and all(', 'return True or all(', FOUNDATION + "test_download.py"),
    (EXTERNAL, 's.size is None or now[s.path][0] == s.size', 'True', FOUNDATION + "test_download.py"),
    (EXTERNAL, 'if all(c.status in ("ok", "unverified") for c in _file_checks(info, folder)):', 'if True:',
     FOUNDATION + "test_download.py"),
    (EXTERNAL, '            (folder / STAMP).unlink()', '            pass', FOUNDATION + "test_download.py"),
    (EXTERNAL, 'elif os.path.getsize(location) > max_bytes:', 'elif False:', FOUNDATION + "test_download.py"),
    (EXTERNAL, 'extract_archive(path, path_root, max_bytes=_byte_limit(info))', 'extract_archive(path, path_root)',
     FOUNDATION + "test_extract.py"),
    (EXTERNAL, 'raise _not_writable(final.parent, err) from err', 'raise', FOUNDATION + "test_download.py"),
    (EXTERNAL, 'raise _not_writable(path.parent, err) from err', 'raise', FOUNDATION + "test_download.py"),
    (EXTERNAL, 'if value and not re.match(r"^https?://", value) and not os.path.isabs(value):', 'if False:',
     FOUNDATION + "test_sources.py"),
    (DATA_CMD, 'os.environ["FASTLAYERS_DATA_MIRROR"] = os.path.abspath(value)', 'pass', FOUNDATION + "test_cli.py"),
    # checkpoints
    (CHECKPOINT, 'if problems:', 'if False:', TRAINING + "test_checkpoint.py"),
    (LEARNER, 'load_weights(self.model, sd, strict=strict, source=f"checkpoint {path}")',
     'self.model.load_state_dict(sd, strict=strict)', TRAINING + "test_checkpoint.py"),
    (CHECKPOINT, 'if path.stat().st_size == 0:', 'if False:', TRAINING + "test_checkpoint.py"),
    (CHECKPOINT, 'except (EOFError, pickle.UnpicklingError, zipfile.BadZipFile, ValueError, IndexError) as e:',
     'except (IndexError,) as e:', TRAINING + "test_checkpoint.py"),
    (CHECKPOINT, '    remove_stale_temporaries(path.parent)\n', '', TRAINING + "test_checkpoint.py"),
    (CHECKPOINT, 'if m and not _alive(int(m.group(1))):', 'if m:', TRAINING + "test_checkpoint.py"),
    # the device rule
    (LOADER, 'if device.index is None and device.type == "cuda":', 'if False:', TRAINING + "test_device.py"),
    (LOADER, '"mps" if mps is not None and mps.is_available() else "cpu"', '"cpu"', TRAINING + "test_device.py"),
]


def run(file: pathlib.Path, old: str, new: str, tests: str) -> bool:
    """Apply one mutant, run its tests, restore the file; True when a test failed (the mutant was caught)."""
    original = file.read_text()
    assert original.count(old) == 1, f"{file}: expected exactly one {old!r}"
    try:
        file.write_text(original.replace(old, new))
        r = subprocess.run([sys.executable, "-m", "pytest", tests, "-q", "-x", "-p", "no:cacheprovider"],
                           capture_output=True, text=True, timeout=600)
    finally:
        file.write_text(original)
    last = (r.stdout.strip().splitlines() or ["(no output)"])[-1]
    print("CAUGHT " if r.returncode else "MISSED ", f"{file.name}: {old.strip()[:60]!r} ->", last, flush=True)
    return r.returncode != 0


if __name__ == "__main__":
    word = sys.argv[1] if len(sys.argv) > 1 else ""
    chosen = [m for m in M if word in f"{m[0]} {m[1]} {m[3]}"]
    missed = [m for m in chosen if not run(*m)]
    print(f"{len(chosen) - len(missed)} of {len(chosen)} mutants caught")
    sys.exit(1 if missed else 0)
