"""The dataset registry: `get_dataset(name)` turns a name from datasets.yml into a local folder of verified files.

Sources, tried in order until one yields files whose sha256 match the registry:
  1. the cache, `$FASTLAYERS_HOME/datasets/<name>` (default home `~/.fastlayers`);
  2. a Python package that ships the files (aeon, scikit-learn), when installed;
  3. a mirror, `$FASTLAYERS_DATA_MIRROR`: an absolute folder or http(s) base URL laid out `<mirror>/<name>/<file>`;
  4. upstream: the entry's `url` (an archive, or a base URL the files sit under).
Everything is fetched into a hidden work folder next to the cache, verified there, and only then renamed
into place, so the cache never holds a half-written or unverified dataset. A cached copy is trusted only while
its files keep the sizes and times stamped after its last full check; otherwise it is re-hashed, and fetched
again if that fails. Downloading lives in `download`, safe unpacking in `archives`, the errors in
`dataset_errors`: infrastructure, not lesson material.
"""
from __future__ import annotations

import contextlib
import difflib
import gzip
import hashlib
import importlib.util
import json
import os
import re
import shutil
import tempfile
import time
import urllib.parse
import warnings
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

import yaml

from .archives import MAX_UNPACKED_BYTES, extract_archive
from .dataset_errors import (CacheNotWritableError, ChecksumError, DamagedCacheWarning, DatasetError,
                             DatasetUnavailable, DownloadError, RegistryError, TooLargeError,
                             UnknownDatasetError, UnsafeArchiveError, UnverifiedDatasetWarning)
from .download import DOWNLOAD_DEADLINE, DOWNLOAD_RETRIES, DOWNLOAD_TIMEOUT, download_url, human_size

try:  # POSIX file locks; Windows has msvcrt instead
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None
    import msvcrt

__all__ = [
    "get_dataset", "registry", "verify", "dataset_path", "fastlayers_home", "download_url", "extract_archive",
    "DatasetInfo", "FileSpec", "FileCheck", "DatasetError", "RegistryError", "UnknownDatasetError",
    "DownloadError", "ChecksumError", "TooLargeError", "UnsafeArchiveError", "CacheNotWritableError", "DatasetUnavailable",
    "UnverifiedDatasetWarning", "DamagedCacheWarning",
]

MANIFEST = ".fastlayers-manifest.json"  # where each file came from and its sha256, written once at fetch time
STAMP = ".fastlayers-verified.json"  # each file's size and modification time when its sha256 last matched
_CHUNK = 1 << 16
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[a-z0-9_]+$")


# ---------------------------------------------------------------- registry

@dataclass(frozen=True)
class FileSpec:
    """One file a loader needs: path inside the dataset folder, its sha256 (None: unverified), size in bytes."""
    path: str
    sha256: str | None = None
    gunzipped_sha256: str | None = None  # hash of the decompressed bytes, for .gz files recompressed by mirrors
    size: int | None = None

    @property
    def verified(self) -> bool:
        return bool(self.sha256 or self.gunzipped_sha256)


@dataclass(frozen=True)
class DatasetInfo:
    """One entry of datasets.yml."""
    name: str
    description: str
    task: str
    license: str
    citation: str
    url: str
    files: tuple[FileSpec, ...]
    dirs: tuple[str, ...] = ()  # folders that must exist (too many files to list one by one)
    archive: bool = False  # True: `url` is a tar/zip archive; False: files live at `url` + path
    archive_sha256: str | None = None
    archive_root: str = ""  # folder inside the archive that becomes the dataset folder
    max_bytes: int | None = None  # most bytes a source may deliver or unpack to (None: MAX_UNPACKED_BYTES)
    package: tuple[str, str] | None = None  # (importable module, folder inside it)
    approx_size: str | None = None

    @property
    def size(self) -> int | None:
        """Total bytes of the listed files, or None when some sizes are unknown."""
        sizes = [f.size for f in self.files]
        return sum(sizes) if sizes and None not in sizes else None


def _registry_file() -> Path:
    return Path(os.environ.get("FASTLAYERS_REGISTRY") or Path(__file__).with_name("datasets.yml"))


def _relative(path: str, where: str) -> str:
    parts = PurePosixPath(path).parts
    if not path or PurePosixPath(path).is_absolute() or ".." in parts:
        raise RegistryError(f"{where}: path {path!r} must be relative and stay inside the dataset folder")
    return path


def _checksum(raw: dict, key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not _SHA256.match(value):
        raise RegistryError(f"{where}: {key} must be 64 lowercase hex digits or null, got {value!r}")
    return value


def _byte_count(raw: dict, key: str, where: str) -> int | None:
    value = raw.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise RegistryError(f"{where}: {key} must be a whole number of bytes, got {value!r}")
    return value


def _verified_flag(raw: dict, hashes: list[str | None], where: str) -> None:
    # The flag is redundant on purpose: a reader of the YAML sees at a glance which hashes were checked,
    # and a checksum typed in without being checked (verified: false) is refused rather than trusted.
    has_hash = any(hashes)
    if raw.get("verified") is not has_hash:
        raise RegistryError(f"{where}: write `verified: true` with a checked sha256, or `verified: false` with "
                            f"`sha256: null` (a checksum nobody verified must not be written down)")


def _parse_entry(raw: dict, where: str) -> DatasetInfo:
    if not isinstance(raw, dict):
        raise RegistryError(f"{where}: each dataset must be a mapping")
    missing = [k for k in ("name", "description", "task", "license", "citation", "url", "files") if k not in raw]
    if missing:
        raise RegistryError(f"{where}: missing {', '.join(missing)}")
    name = raw["name"]
    if not isinstance(name, str) or not _NAME.match(name):
        raise RegistryError(f"{where}: name {name!r} must use lowercase letters, digits and '_'")
    where = f"{where} ({name})"
    files = []
    for i, f in enumerate(raw["files"] or []):
        fw = f"{where} files[{i}]"
        if not isinstance(f, dict) or "path" not in f:
            raise RegistryError(f"{fw}: each file needs a `path`")
        spec = FileSpec(_relative(f["path"], fw), _checksum(f, "sha256", fw), _checksum(f, "gunzipped_sha256", fw),
                        _byte_count(f, "size", fw))
        _verified_flag(f, [spec.sha256, spec.gunzipped_sha256], fw)
        files.append(spec)
    archive = raw.get("archive")
    arch_sha = None
    if archive is not None:
        if not isinstance(archive, dict):
            raise RegistryError(f"{where}: archive must be a mapping (sha256, verified, root)")
        arch_sha = _checksum(archive, "sha256", f"{where} archive")
        _verified_flag(archive, [arch_sha], f"{where} archive")
    package = raw.get("package")
    if package is not None:
        if not isinstance(package, dict) or not {"module", "path"} <= set(package):
            raise RegistryError(f"{where}: package needs `module` and `path`")
        package = (package["module"], _relative(package["path"], f"{where} package"))
    if not files and not raw.get("dirs"):
        raise RegistryError(f"{where}: list at least one file or folder the loader needs")
    return DatasetInfo(
        name=name, description=str(raw["description"]).strip(), task=str(raw["task"]), license=str(raw["license"]),
        citation=str(raw["citation"]).strip(), url=str(raw["url"]), files=tuple(files),
        dirs=tuple(_relative(d, where) for d in raw.get("dirs") or ()), archive=archive is not None,
        archive_sha256=arch_sha, archive_root=(archive or {}).get("root") or "", package=package,
        max_bytes=_byte_count(raw, "max_bytes", where),
        approx_size=raw.get("approx_size"),
    )


def registry() -> dict[str, DatasetInfo]:
    """All registry entries by name, read from datasets.yml (or the file named by $FASTLAYERS_REGISTRY)."""
    path = _registry_file()
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise RegistryError(f"cannot read the dataset registry {path}: {err}") from err
    except yaml.YAMLError as err:
        raise RegistryError(f"{path} is not valid YAML: {err}") from err
    if not isinstance(doc, dict) or not isinstance(doc.get("datasets"), list):
        raise RegistryError(f"{path}: expected a top-level `datasets:` list")
    entries: dict[str, DatasetInfo] = {}
    for i, raw in enumerate(doc["datasets"]):
        info = _parse_entry(raw, f"{path.name} datasets[{i}]")
        if info.name in entries:
            raise RegistryError(f"{path.name}: dataset {info.name!r} is listed twice")
        entries[info.name] = info
    return entries


def _lookup(name: str) -> DatasetInfo:
    entries = registry()
    if name not in entries:
        raise UnknownDatasetError(name, difflib.get_close_matches(name, entries, n=3, cutoff=0.5))
    return entries[name]


def fastlayers_home() -> Path:
    """The folder for everything fastlayers caches: $FASTLAYERS_HOME, or ~/.fastlayers."""
    return Path(os.environ.get("FASTLAYERS_HOME") or Path.home() / ".fastlayers").expanduser()


def dataset_path(name: str) -> Path:
    """Where dataset `name` lives in the cache (whether or not it has been fetched yet)."""
    return fastlayers_home() / "datasets" / _lookup(name).name



# ---------------------------------------------------------------- hashing

def _sha256(path: Path, gunzip: bool = False) -> str:
    digest = hashlib.sha256()
    opener = gzip.open if gunzip else open
    try:
        with opener(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except (OSError, EOFError) as err:  # EOFError: a truncated .gz
        raise ChecksumError(f"cannot read {path.name} to check it: {err}") from err
    return digest.hexdigest()


def _check_file(path: Path, spec: FileSpec, source: str) -> str | None:
    """Raise ChecksumError unless `path` matches `spec`; returns the sha256 that was checked (None if unverified)."""
    if not path.is_file():
        raise DatasetError(f"{spec.path} is missing from {source}")
    expected, gunzip = (spec.gunzipped_sha256, True) if spec.gunzipped_sha256 else (spec.sha256, False)
    if expected is None:
        return None
    actual = _sha256(path, gunzip)
    if actual != expected:
        kind = "sha256 of the decompressed content" if gunzip else "sha256"
        raise ChecksumError(f"checksum mismatch for {spec.path} from {source}: expected {kind} {expected}, "
                            f"got {actual}. The file was discarded; nothing entered the cache.")
    return actual


# ---------------------------------------------------------------- sources

def _mirror() -> str:
    """$FASTLAYERS_DATA_MIRROR: an http(s) URL or an absolute folder ('' when unset); a relative path is refused."""
    value = os.path.expanduser(os.environ.get("FASTLAYERS_DATA_MIRROR", "").strip())
    if value and not re.match(r"^https?://", value) and not os.path.isabs(value):
        # Every process would read it from its own working folder: a notebook kernel runs in the notebook's
        # folder, not where the variable was set, and would silently look somewhere else.
        raise RegistryError(
            f"FASTLAYERS_DATA_MIRROR={value!r} is a relative path, which each process would resolve from its own "
            f"working folder (this one, {os.getcwd()}, would read {os.path.abspath(value)}). Set it to an "
            f"absolute path, e.g. export FASTLAYERS_DATA_MIRROR=\"$(cd {value} && pwd)\"")
    return value


def _join_url(base: str, *parts: str) -> str:
    return base.rstrip("/") + "/" + "/".join(urllib.parse.quote(p) for p in parts)


def _archive_name(info: DatasetInfo) -> str:
    return PurePosixPath(urllib.parse.urlparse(info.url).path).name or f"{info.name}.archive"


def _byte_limit(info: DatasetInfo) -> int:
    """The most bytes one source may deliver for `info`, per download and per unpacked archive."""
    return info.max_bytes if info.max_bytes is not None else MAX_UNPACKED_BYTES


class _Fetch:
    """Fill a work folder from one source; `files()` or `archive()` return the dataset folder and file hashes."""

    def __init__(self, info: DatasetInfo, work: Path, label: str, timeout: float, retries: int, progress: bool,
                 deadline: float):
        self.info, self.work, self.label = info, work, label
        self.timeout, self.retries, self.progress, self.deadline = timeout, retries, progress, deadline
        self.archive_sha256: str | None = None  # recorded in the manifest, useful when the registry has none

    def get(self, location: str, dest: Path, max_bytes: int) -> None:
        """Copy or download one file (local path or http(s) URL) of at most `max_bytes` to `dest`."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        if re.match(r"^https?://", location):
            download_url(location, dest, timeout=self.timeout, retries=self.retries, progress=self.progress,
                         desc=f"{self.info.name}/{dest.name}", deadline=self.deadline, max_bytes=max_bytes)
        elif not os.path.isfile(location):
            raise DatasetError(f"{location} does not exist")
        elif os.path.getsize(location) > max_bytes:
            raise TooLargeError(f"{location} holds {human_size(os.path.getsize(location))}, more than the "
                                f"{human_size(max_bytes)} this dataset may take; not copied")
        else:
            shutil.copyfile(location, dest)

    def files(self, locate: Callable[[FileSpec], str]) -> tuple[Path, dict[str, str | None]]:
        folder = self.work / "dataset"
        hashes = {}
        for spec in self.info.files:
            self.get(locate(spec), folder / spec.path, _byte_limit(self.info))
            hashes[spec.path] = _check_file(folder / spec.path, spec, self.label)
        return folder, hashes

    def archive(self, location: str) -> tuple[Path, dict[str, str | None]]:
        info = self.info
        path = self.work / _archive_name(info)
        self.get(location, path, _byte_limit(info))
        actual = _sha256(path)
        if info.archive_sha256 and actual != info.archive_sha256:
            raise ChecksumError(f"checksum mismatch for {path.name} from {self.label}: expected sha256 "
                                f"{info.archive_sha256}, got {actual}. The archive was discarded unopened; "
                                f"nothing entered the cache.")
        path_root = self.work / "extracted"
        extract_archive(path, path_root, max_bytes=_byte_limit(info))
        path.unlink()
        folder = path_root / info.archive_root if info.archive_root else path_root
        self.archive_sha256 = actual
        hashes: dict[str, str | None] = {}
        for d in info.dirs:
            if not (folder / d).is_dir():
                raise DatasetError(f"folder {d}/ is missing from the archive at {self.label}")
        for spec in info.files:
            hashes[spec.path] = _check_file(folder / spec.path, spec, self.label)
        return folder, hashes


def package_folder(info: DatasetInfo) -> Path | None:
    """The folder inside an installed Python package that ships `info`'s files, if that package is installed."""
    if not info.package:
        return None
    module, inner = info.package
    try:
        spec = importlib.util.find_spec(module)  # finds the package without importing it (aeon is slow)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / inner


def _sources(info: DatasetInfo) -> Iterator[tuple[str, Callable[[_Fetch], tuple[Path, dict]]]]:
    """Yield (label, how to fetch) for every source that could hold `info`, best first."""
    folder = package_folder(info)
    if folder is not None:
        yield f"package {info.package[0]} ({folder})", lambda f: f.files(lambda s: str(folder / s.path))
    mirror = _mirror()
    if mirror:
        is_url = bool(re.match(r"^https?://", mirror))

        def at_mirror(rel: str) -> str:
            return _join_url(mirror, info.name, *rel.split("/")) if is_url else str(Path(mirror) / info.name / rel)

        if info.dirs and info.archive:  # too many files to list: the mirror holds the upstream archive
            yield f"mirror {mirror}", lambda f: f.archive(at_mirror(_archive_name(info)))
        else:
            yield f"mirror {mirror}", lambda f: f.files(lambda s: at_mirror(s.path))
    if info.archive:
        yield f"upstream {info.url}", lambda f: f.archive(info.url)
    else:
        yield f"upstream {info.url}", lambda f: f.files(lambda s: _join_url(info.url, *s.path.split("/")))


# ---------------------------------------------------------------- the cache

@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` so two processes never fill the same cache folder at once."""
    try:
        fh = open(path, "a+b")
    except OSError as err:
        raise _not_writable(path.parent, err) from err
    with fh:
        if fcntl is not None:
            fcntl.flock(fh, fcntl.LOCK_EX)
        else:  # pragma: no cover
            msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK, 1)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh, fcntl.LOCK_UN)
            else:  # pragma: no cover
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)


def _not_writable(folder: Path, err: OSError) -> CacheNotWritableError:
    return CacheNotWritableError(
        f"cannot write to the dataset cache {folder} ({err.strerror or err}). Set FASTLAYERS_HOME to a folder "
        f"you can write to: the cache (its datasets/ folder) moves with it.")


def _stat_stamp(info: DatasetInfo, folder: Path) -> dict[str, list[int]]:
    """{path: [size, mtime_ns]} of each listed file as it is now."""
    stamp = {}
    for spec in info.files:
        st = (folder / spec.path).stat()
        stamp[spec.path] = [st.st_size, st.st_mtime_ns]
    return stamp


def _write_stamp(info: DatasetInfo, folder: Path) -> None:
    """Stamp the files as they are now; call only right after a full check passed."""
    with contextlib.suppress(OSError):  # a read-only cache: the full check simply runs again next time
        (folder / STAMP).write_text(json.dumps(_stat_stamp(info, folder)), encoding="utf-8")


def _looks_unchanged(info: DatasetInfo, folder: Path) -> bool:
    """The cheap check on every use: each file has the size the registry says and the size and time stamped
    after its last full check (a truncated, rewritten or replaced file fails it)."""
    try:
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
        now = _stat_stamp(info, folder)
    except (OSError, ValueError):
        return False
    return now == stamp and all(s.size is None or now[s.path][0] == s.size for s in info.files)


def _is_good(info: DatasetInfo, folder: Path) -> bool:
    """Whether the cached copy in `folder` can be returned: stamped and unchanged, or re-hashed and still right."""
    if not (folder / MANIFEST).is_file() or not all((folder / d).is_dir() for d in info.dirs):
        return False
    if _looks_unchanged(info, folder):
        return True
    if all(c.status in ("ok", "unverified") for c in _file_checks(info, folder)):
        _write_stamp(info, folder)  # e.g. a cache copied elsewhere: new times, same bytes
        return True
    return False


def _move_into_place(folder: Path, final: Path, scratch: Path) -> None:
    # os.replace cannot swap a folder onto a non-empty one, so an old copy (force=True) is moved aside first.
    if final.exists():
        os.replace(final, scratch / "old")
    os.replace(folder, final)


def get_dataset(name: str, *, force: bool = False, progress: bool = True, timeout: float = DOWNLOAD_TIMEOUT,
                retries: int = DOWNLOAD_RETRIES, deadline: float = DOWNLOAD_DEADLINE) -> Path:
    """Return the cache folder of dataset `name`, fetching and verifying it first if it is missing or damaged
    (force: fetch again); each download gets `deadline` seconds in all."""
    info = _lookup(name)
    final = dataset_path(name)
    if not force and _is_good(info, final):
        return final
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _not_writable(final.parent, err) from err
    with _locked(final.parent / f".{name}.lock"):
        return _fetch_locked(info, final, force, progress, timeout, retries, deadline)


def _fetch_locked(info: DatasetInfo, final: Path, force: bool, progress: bool, timeout: float, retries: int,
                  deadline: float) -> Path:
    """get_dataset's work once the lock is held: try each source into a work folder, move the first good one in."""
    name, root = info.name, final.parent
    if not force and _is_good(info, final):  # another process finished it while we waited for the lock
        return final
    if not force and (final / MANIFEST).is_file():
        warnings.warn(f"{name}: the cached copy in {final} no longer matches its checksums (truncated or "
                      f"changed since it was fetched); fetching it again", DamagedCacheWarning, stacklevel=3)
    for stale in root.glob(f".tmp-{name}-*"):  # left by a process that was killed mid-fetch
        shutil.rmtree(stale, ignore_errors=True)
    attempts: list[tuple[str, DatasetError]] = []
    for label, fetch in _sources(info):
        try:
            work = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=root))  # same filesystem: rename is atomic
        except OSError as err:
            raise _not_writable(root, err) from err
        try:
            fetcher = _Fetch(info, work, label, timeout, retries, progress, deadline)
            folder, hashes = fetch(fetcher)
            unverified = sorted(p for p, h in hashes.items() if h is None)
            for p in unverified:  # no registry checksum: record what arrived, so `verify` can spot changes
                hashes[p] = _sha256(folder / p)
            manifest = {"name": name, "source": label, "fetched": time.strftime("%Y-%m-%dT%H:%M:%S"),
                        "sha256": hashes, "unverified": unverified, "archive_sha256": fetcher.archive_sha256}
            (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
            _write_stamp(info, folder)  # every file was just hashed; renaming the folder keeps sizes and times
            _move_into_place(folder, final, work)
        except DatasetError as err:
            attempts.append((label, err))
            continue
        except OSError as err:  # e.g. disk full while copying: report it like any other failed source
            attempts.append((label, DatasetError(f"{type(err).__name__}: {err}")))
            continue
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if unverified:
            warnings.warn(f"{name}: the registry has no checksum for {', '.join(unverified)}; accepted as "
                          f"downloaded from {label} (hashes recorded in {final / MANIFEST})",
                          UnverifiedDatasetWarning, stacklevel=3)
        return final
    raise DatasetUnavailable(name, attempts)


# ---------------------------------------------------------------- verification

@dataclass(frozen=True)
class FileCheck:
    """The result of re-checking one cached file: status is ok, mismatch, missing or unverified."""
    path: str
    status: str
    expected: str | None = None
    actual: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _file_checks(info: DatasetInfo, folder: Path) -> list[FileCheck]:
    """Re-hash every listed file of the copy in `folder` against the registry (or, lacking one, the manifest)."""
    try:
        recorded = json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("sha256", {})
    except (OSError, ValueError, AttributeError):
        recorded = {}
    checks = [FileCheck(d + "/", "ok" if (folder / d).is_dir() else "missing") for d in info.dirs]
    for spec in info.files:
        path = folder / spec.path
        expected = spec.gunzipped_sha256 or spec.sha256
        if not path.is_file():
            checks.append(FileCheck(spec.path, "missing", expected))
            continue
        try:
            actual = _sha256(path, gunzip=bool(spec.gunzipped_sha256))
        except ChecksumError:  # unreadable, or a .gz cut short
            checks.append(FileCheck(spec.path, "mismatch", expected))
            continue
        if expected is None:  # compare with what was recorded at download time, still flagged as unverified
            status = "unverified" if recorded.get(spec.path) in (None, actual) else "mismatch"
            checks.append(FileCheck(spec.path, status, recorded.get(spec.path), actual))
        else:
            checks.append(FileCheck(spec.path, "ok" if actual == expected else "mismatch", expected, actual))
    return checks


def verify(name: str) -> list[FileCheck]:
    """Re-hash the cached copy of `name` against the registry; raises DatasetError if it is not cached.
    A copy that fails loses its stamp, so the next `get_dataset` fetches it again."""
    info = _lookup(name)
    folder = dataset_path(name)
    if not (folder / MANIFEST).is_file():
        raise DatasetError(f"dataset {name!r} is not in the cache ({folder}); fetch it with "
                           f"`fastlayers data fetch {name}`")
    checks = _file_checks(info, folder)
    if all(c.status in ("ok", "unverified") for c in checks):
        _write_stamp(info, folder)
    else:
        with contextlib.suppress(OSError):
            (folder / STAMP).unlink()
    return checks
