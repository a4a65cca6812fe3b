"""The dataset registry: `get_dataset(name)` turns a name from datasets.yml into a local folder of verified files.

Sources, tried in order until one yields files whose sha256 match the registry:
  1. the cache, `$FASTLAYERS_HOME/datasets/<name>` (default home `~/.fastlayers`);
  2. a Python package that ships the files (aeon, scikit-learn), when installed;
  3. a mirror, `$FASTLAYERS_DATA_MIRROR`: a folder or http(s) base URL laid out `<mirror>/<name>/<file>`;
  4. upstream: the entry's `url` (an archive, or a base URL the files sit under).
Everything is fetched into a hidden work folder next to the cache, verified there, and only then renamed
into place, so the cache never holds a half-written or unverified dataset.
"""
from __future__ import annotations

import contextlib
import difflib
import gzip
import hashlib
import http.client
import importlib.util
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

import yaml

try:  # POSIX file locks; Windows has msvcrt instead
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None
    import msvcrt

__all__ = [
    "get_dataset", "registry", "verify", "dataset_path", "fastlayers_home", "download_url", "extract_archive",
    "DatasetInfo", "FileSpec", "FileCheck", "DatasetError", "RegistryError", "UnknownDatasetError",
    "DownloadError", "ChecksumError", "UnsafeArchiveError", "DatasetUnavailable", "UnverifiedDatasetWarning",
]

DOWNLOAD_TIMEOUT = 30.0  # seconds a socket may stay silent before the attempt counts as failed
DOWNLOAD_RETRIES = 3  # extra attempts after the first, for transient failures only
RETRY_BACKOFF = 1.0  # seconds before the first retry, doubled for each further one
MANIFEST = ".fastlayers-manifest.json"
_CHUNK = 1 << 16
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[a-z0-9_]+$")


# ---------------------------------------------------------------- errors

class DatasetError(Exception):
    """A dataset could not be found, downloaded, verified or unpacked."""


class RegistryError(DatasetError):
    """datasets.yml (or the file in $FASTLAYERS_REGISTRY) is malformed."""


class UnknownDatasetError(DatasetError):
    """The name is not in the registry; `suggestions` holds close names."""

    def __init__(self, name: str, suggestions: list[str]):
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown dataset {name!r}.{hint} `fastlayers data list` shows every dataset.")
        self.name, self.suggestions = name, suggestions


class DownloadError(DatasetError):
    """A download failed (network error, HTTP error, timeout, truncated body) after its retries."""


class _Truncated(DownloadError):
    """The server closed the connection before sending the whole body (retried)."""


class ChecksumError(DatasetError):
    """A file's sha256 differs from the registry's."""


class UnsafeArchiveError(DatasetError):
    """An archive member would land outside the extraction folder, or is a link or device we refuse."""


class DatasetUnavailable(DatasetError):
    """Every source failed; `attempts` lists (source, error) pairs."""

    def __init__(self, name: str, attempts: list[tuple[str, DatasetError]]):
        lines = [f"  - {src}: {err}" for src, err in attempts] or ["  - no source configured"]
        super().__init__(f"could not get dataset {name!r}; sources tried:\n" + "\n".join(lines))
        self.name, self.attempts = name, attempts


class UnverifiedDatasetWarning(UserWarning):
    """Files were accepted without a registry checksum (their hashes are recorded in the cache manifest)."""


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
                        f.get("size"))
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


# ---------------------------------------------------------------- downloading

def _progress_bar(total: int | None, desc: str, enabled: bool):
    from tqdm.auto import tqdm  # imported late: tqdm.auto probes for Jupyter

    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, disable=not enabled,
                file=sys.stderr, leave=False)


def _download_once(url: str, dest: Path, timeout: float, progress: bool, desc: str) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "fastlayers-datasets"})
    with urllib.request.urlopen(request, timeout=timeout) as resp:
        length = resp.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        received = 0
        with open(dest, "wb") as out, _progress_bar(total, desc, progress) as bar:
            while chunk := resp.read(_CHUNK):
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    # http.client returns a short body silently when the peer hangs up early: compare with the header.
    if total is not None and received < total:
        raise _Truncated(f"truncated body: received {received} of {total} bytes")


def download_url(url: str, dest: Path, *, timeout: float = DOWNLOAD_TIMEOUT, retries: int = DOWNLOAD_RETRIES,
                 progress: bool = True, desc: str | None = None) -> Path:
    """Download `url` to `dest` with a progress bar, retrying transient failures; raises DownloadError."""
    dest = Path(dest)
    last: Exception | None = None
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(RETRY_BACKOFF * 2 ** (attempt - 1))
        try:
            _download_once(url, dest, timeout, progress, desc or dest.name)
            return dest
        except urllib.error.HTTPError as err:
            if err.code < 500 and err.code not in (408, 429):  # the server's final answer: retrying cannot help
                raise DownloadError(f"{url}: HTTP {err.code} {err.reason}") from err
            last = err
        except (_Truncated, urllib.error.URLError, http.client.HTTPException, OSError) as err:
            last = err  # timeouts, refused or reset connections, short bodies: worth another try
    reason = getattr(last, "reason", None) or last
    if isinstance(last, TimeoutError) or isinstance(reason, TimeoutError):
        reason = f"timed out (no data for {timeout:g} s)"
    raise DownloadError(f"{url}: failed after {retries + 1} attempt(s): {reason}") from last


# ---------------------------------------------------------------- safe extraction

def _inside(path: str, root: str) -> bool:
    return os.path.commonpath([root, path]) == root


def _member_target(root: Path, name: str, archive: str) -> Path:
    normalised = name.replace("\\", "/")  # zip files written on Windows may use backslashes
    pure = PurePosixPath(normalised)
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", normalised):
        raise UnsafeArchiveError(f"{archive}: member {name!r} has an absolute path; refusing the whole archive")
    if ".." in pure.parts:
        raise UnsafeArchiveError(f"{archive}: member {name!r} contains '..' and could write outside the "
                                 f"target folder; refusing the whole archive")
    return root.joinpath(*pure.parts)


def _check_tar(tar: tarfile.TarFile, root: Path, archive: str) -> None:
    links: set[str] = set()
    base = str(root)
    for m in tar.getmembers():
        target = _member_target(root, m.name, archive)
        # A member written *through* an earlier symlink can land anywhere, whatever its own name says.
        parents = {str(p) for p in target.parents}
        if parents & links:
            raise UnsafeArchiveError(f"{archive}: member {m.name!r} is written through a link; refusing the archive")
        if m.ischr() or m.isblk() or m.isfifo():
            raise UnsafeArchiveError(f"{archive}: member {m.name!r} is a device file or pipe; refusing the archive")
        if m.issym() or m.islnk():
            if PurePosixPath(m.linkname).is_absolute():
                raise UnsafeArchiveError(f"{archive}: link {m.name!r} points to the absolute path {m.linkname!r}")
            start = target.parent if m.issym() else root  # hard links are relative to the archive root
            resolved = os.path.normpath(os.path.join(start, m.linkname))
            if not _inside(resolved, base):
                raise UnsafeArchiveError(f"{archive}: link {m.name!r} -> {m.linkname!r} points outside the "
                                         f"target folder; refusing the archive")
            links.add(str(target))
        elif not (m.isfile() or m.isdir()):
            raise UnsafeArchiveError(f"{archive}: member {m.name!r} has an unsupported type; refusing the archive")


def _check_zip(zf: zipfile.ZipFile, root: Path, archive: str) -> None:
    for info in zf.infolist():
        _member_target(root, info.filename, archive)
        mode = info.external_attr >> 16
        if mode and (mode & 0o170000) not in (0o100000, 0o040000, 0):  # anything but a file or a folder
            raise UnsafeArchiveError(f"{archive}: member {info.filename!r} is a link or special file; "
                                     f"refusing the archive")


def extract_archive(archive: Path, dest: Path) -> Path:
    """Unpack a tar (any compression) or zip archive into `dest`; refuses the whole archive if any member is unsafe."""
    archive, dest = Path(archive), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            _check_zip(zf, root, archive.name)  # every member is checked before the first one is written
            zf.extractall(root)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tar:
            _check_tar(tar, root, archive.name)
            # The standard library's own "data" filter (Python >= 3.11.4) is a second line of defence.
            extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(root, **extra)
    else:
        raise DatasetError(f"{archive.name} is neither a tar nor a zip archive (a broken download, or an HTML "
                           f"error page saved under the archive's name?)")
    return dest


# ---------------------------------------------------------------- sources

@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` so two processes never fill the same cache folder at once."""
    with open(path, "a+b") as fh:
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


def _is_complete(info: DatasetInfo, folder: Path) -> bool:
    return ((folder / MANIFEST).is_file() and all((folder / f.path).is_file() for f in info.files)
            and all((folder / d).is_dir() for d in info.dirs))


def _join_url(base: str, *parts: str) -> str:
    return base.rstrip("/") + "/" + "/".join(urllib.parse.quote(p) for p in parts)


def _archive_name(info: DatasetInfo) -> str:
    return PurePosixPath(urllib.parse.urlparse(info.url).path).name or f"{info.name}.archive"


class _Fetch:
    """Fill a work folder from one source; `run()` returns the folder holding the dataset and its file hashes."""

    def __init__(self, info: DatasetInfo, work: Path, label: str, timeout: float, retries: int, progress: bool):
        self.info, self.work, self.label = info, work, label
        self.timeout, self.retries, self.progress = timeout, retries, progress
        self.archive_sha256: str | None = None  # recorded in the manifest, useful when the registry has none

    def get(self, location: str, dest: Path) -> None:
        """Copy or download one file (local path or http(s) URL) to `dest`."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        if re.match(r"^https?://", location):
            download_url(location, dest, timeout=self.timeout, retries=self.retries, progress=self.progress,
                         desc=f"{self.info.name}/{dest.name}")
        elif not os.path.isfile(location):
            raise DatasetError(f"{location} does not exist")
        else:
            shutil.copyfile(location, dest)

    def files(self, locate: Callable[[FileSpec], str]) -> tuple[Path, dict[str, str | None]]:
        folder = self.work / "dataset"
        hashes = {}
        for spec in self.info.files:
            self.get(locate(spec), folder / spec.path)
            hashes[spec.path] = _check_file(folder / spec.path, spec, self.label)
        return folder, hashes

    def archive(self, location: str) -> tuple[Path, dict[str, str | None]]:
        info = self.info
        path = self.work / _archive_name(info)
        self.get(location, path)
        actual = _sha256(path)
        if info.archive_sha256 and actual != info.archive_sha256:
            raise ChecksumError(f"checksum mismatch for {path.name} from {self.label}: expected sha256 "
                                f"{info.archive_sha256}, got {actual}. The archive was discarded unopened; "
                                f"nothing entered the cache.")
        path_root = self.work / "extracted"
        extract_archive(path, path_root)
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


def _sources(info: DatasetInfo) -> Iterator[tuple[str, Callable[[_Fetch], tuple[Path, dict]]]]:
    """Yield (label, how to fetch) for every source that could hold `info`, best first."""
    if info.package:
        module, inner = info.package
        try:
            spec = importlib.util.find_spec(module)  # finds the package without importing it (aeon is slow)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.submodule_search_locations:
            folder = Path(list(spec.submodule_search_locations)[0]) / inner
            yield f"package {module} ({folder})", lambda f: f.files(lambda s: str(folder / s.path))
    mirror = os.environ.get("FASTLAYERS_DATA_MIRROR", "").strip()
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


def _move_into_place(folder: Path, final: Path, scratch: Path) -> None:
    # os.replace cannot swap a folder onto a non-empty one, so an old copy (force=True) is moved aside first.
    if final.exists():
        os.replace(final, scratch / "old")
    os.replace(folder, final)


def get_dataset(name: str, *, force: bool = False, progress: bool = True, timeout: float = DOWNLOAD_TIMEOUT,
                retries: int = DOWNLOAD_RETRIES) -> Path:
    """Return the cache folder of dataset `name`, fetching and verifying it first if needed (force: fetch again)."""
    info = _lookup(name)
    final = dataset_path(name)
    if not force and _is_complete(info, final):
        return final
    root = final.parent
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / f".{name}.lock"):
        if not force and _is_complete(info, final):  # another process finished it while we waited for the lock
            return final
        for stale in root.glob(f".tmp-{name}-*"):  # left by a process that was killed mid-fetch
            shutil.rmtree(stale, ignore_errors=True)
        attempts: list[tuple[str, DatasetError]] = []
        for label, fetch in _sources(info):
            work = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=root))  # same filesystem: rename is atomic
            try:
                fetcher = _Fetch(info, work, label, timeout, retries, progress)
                folder, hashes = fetch(fetcher)
                unverified = sorted(p for p, h in hashes.items() if h is None)
                for p in unverified:  # no registry checksum: record what arrived, so `verify` can spot changes
                    hashes[p] = _sha256(folder / p)
                manifest = {"name": name, "source": label, "fetched": time.strftime("%Y-%m-%dT%H:%M:%S"),
                            "sha256": hashes, "unverified": unverified, "archive_sha256": fetcher.archive_sha256}
                (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
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
                              UnverifiedDatasetWarning, stacklevel=2)
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


def verify(name: str) -> list[FileCheck]:
    """Re-hash the cached copy of `name` against the registry; raises DatasetError if it is not cached."""
    info = _lookup(name)
    folder = dataset_path(name)
    if not (folder / MANIFEST).is_file():
        raise DatasetError(f"dataset {name!r} is not in the cache ({folder}); fetch it with "
                           f"`fastlayers data fetch {name}`")
    recorded = json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("sha256", {})
    checks = [FileCheck(d + "/", "ok" if (folder / d).is_dir() else "missing") for d in info.dirs]
    for spec in info.files:
        path = folder / spec.path
        expected = spec.gunzipped_sha256 or spec.sha256
        if not path.is_file():
            checks.append(FileCheck(spec.path, "missing", expected))
            continue
        actual = _sha256(path, gunzip=bool(spec.gunzipped_sha256))
        if expected is None:  # compare with what was recorded at download time, still flagged as unverified
            status = "unverified" if recorded.get(spec.path) in (None, actual) else "mismatch"
            checks.append(FileCheck(spec.path, status, recorded.get(spec.path), actual))
        else:
            checks.append(FileCheck(spec.path, "ok" if actual == expected else "mismatch", expected, actual))
    return checks
