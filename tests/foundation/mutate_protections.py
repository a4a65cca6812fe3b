"""Remove each protection of the dataset registry in turn and check that a test fails (run by hand: ~2 min)."""
import subprocess, sys, pathlib
F = pathlib.Path("library/fastlayers/data/external.py")
orig = F.read_text()
M = [
 ('if ".." in pure.parts:', 'if False:', "test_extract.py"),
 ('if pure.is_absolute() or re.match(r"^[A-Za-z]:", normalised):', 'if False:', "test_extract.py"),
 ('if parents & links:', 'if False:', "test_extract.py"),
 ('if m.ischr() or m.isblk() or m.isfifo():', 'if False:', "test_extract.py"),
 ('if PurePosixPath(m.linkname).is_absolute():', 'if False:', "test_extract.py"),
 ('if not _inside(resolved, base):', 'if False:', "test_extract.py"),
 ('if mode and (mode & 0o170000) not in (0o100000, 0o040000, 0):', 'if False:', "test_extract.py"),
 ('if total is not None and received < total:', 'if False:', "test_download.py"),
 ('urlopen(request, timeout=timeout)', 'urlopen(request)', "test_download.py"),
 ('if actual != expected:', 'if False:', "test_download.py"),
 ('if info.archive_sha256 and actual != info.archive_sha256:', 'if False:', "test_download.py"),
 ('fcntl.flock(fh, fcntl.LOCK_EX)', 'pass', "test_sources.py"),
 ('if not force and _is_complete(info, final):  # another', 'if False:  # another', "test_sources.py"),
 ('                shutil.rmtree(work, ignore_errors=True)', '                pass', "test_download.py"),
 ('for attempt in range(retries + 1):', 'for attempt in range(1):', "test_download.py"),
 ('if err.code < 500 and err.code not in (408, 429):', 'if False:', "test_download.py"),
 ('            shutil.rmtree(stale, ignore_errors=True)', '            pass', "test_download.py"),
 ('if raw.get("verified") is not has_hash:', 'if False:', "test_registry.py"),
]
try:
    for old, new, tests in M:
        assert orig.count(old) == 1, old
        F.write_text(orig.replace(old, new))
        r = subprocess.run([sys.executable, "-m", "pytest", "tests/foundation/" + tests, "-q", "-x", "-p", "no:cacheprovider"],
                           capture_output=True, text=True, timeout=300)
        last = r.stdout.strip().splitlines()[-1]
        print("CAUGHT " if r.returncode else "MISSED ", old[:60], "->", last, flush=True)
finally:
    F.write_text(orig)
