"""Safe extraction of tar and zip archives for the dataset registry: every member is checked before one is written.

Infrastructure, not lesson material. An archive is refused whole when a member would land outside the target
folder (an absolute path, `..`, a link leading out, a file written through or over a link), is a device or a
pipe, or when its members declare more bytes in all than the dataset may unpack to (an archive bomb). These
checks are the project's own, so they hold on every supported Python; tarfile's `data` filter (Python 3.10.12,
3.11.4 and later) runs as a second line of defence, and what it refuses is reported like our own refusals.
"""
from __future__ import annotations

import re
import tarfile
import unicodedata
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from .dataset_errors import DatasetError, UnsafeArchiveError
from .download import human_size

__all__ = ["extract_archive", "MAX_UNPACKED_BYTES"]

MAX_UNPACKED_BYTES = 4 * 1024 ** 3  # what an archive may unpack to when its registry entry sets no limit
MAX_MEMBERS = 1_000_000  # ten times the files of the largest course dataset (imdb); more is an attack
_MAX_HOPS = 40  # links followed while resolving one link, as Linux allows; more is a loop


def _member_path(name: str, archive: str) -> PurePosixPath:
    """The member's path relative to the target folder; refuses absolute paths, drive letters and '..'."""
    normalised = name.replace("\\", "/")  # zip files written on Windows may use backslashes
    pure = PurePosixPath(normalised)
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", normalised):
        raise UnsafeArchiveError(f"{archive}: member {name!r} has an absolute path; refusing the whole archive")
    if ".." in pure.parts:
        raise UnsafeArchiveError(f"{archive}: member {name!r} contains '..' and could write outside the "
                                 f"target folder; refusing the whole archive")
    return pure


def _key(path: PurePosixPath) -> str:
    # Compare names as a case-insensitive, Unicode-normalising file system (macOS, Windows) would, so that a
    # member `L3` cannot slip past a check against the link `l3`.
    return unicodedata.normalize("NFC", str(path)).casefold()


def _check_total(total: int, limit: int, archive: str) -> None:
    if total > limit:
        raise UnsafeArchiveError(f"{archive}: its members declare {human_size(total)} in all, more than the "
                                 f"{human_size(limit)} this dataset may unpack to (an archive bomb, or a registry "
                                 f"entry whose `max_bytes` is too small); refused before writing anything")


def _resolve(start: PurePosixPath, target: str, links: dict, archive: str, name: str,
             hops: list[int] | None = None) -> PurePosixPath:
    """Where a link in folder `start` pointing to `target` leads, following the archive's own symlinks component
    by component as the kernel would (`l1/..` is the parent of l1's target, not `.`); refuses any step outside."""
    hops = [_MAX_HOPS] if hops is None else hops  # one budget for the whole lookup, as the kernel counts
    if PurePosixPath(target).is_absolute() or re.match(r"^[A-Za-z]:", target):
        raise UnsafeArchiveError(f"{archive}: link {name!r} points to the absolute path {target!r}; refusing the "
                                 f"archive")
    parts: list[str] = []
    # The start folder's own components are followed too: it may sit under a link. Backslashes separate on
    # Windows: treat them as separators everywhere.
    for part in [*start.parts, *re.split(r"[/\\]", target)]:
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise UnsafeArchiveError(f"{archive}: link {name!r} -> {target!r} points outside the target "
                                         f"folder; refusing the archive")
            parts.pop()
            continue
        parts.append(part)
        hit = links.get(_key(PurePosixPath(*parts)))
        if hit is not None and hit.issym():
            hops[0] -= 1
            if hops[0] < 0:
                raise UnsafeArchiveError(f"{archive}: link {name!r} goes through more than {_MAX_HOPS} links (a "
                                         f"loop?); refusing the archive")
            inner = _member_path(hit.name, archive)
            parts = list(_resolve(inner.parent, hit.linkname, links, archive, hit.name, hops).parts)
    return PurePosixPath(*parts)


def _through_link(path: PurePosixPath, m: tarfile.TarInfo, links: dict, archive: str) -> None:
    """Refuse a member that sits under a link, or has a link's name, so writing it would write through the link
    (the classic trick: a regular file named like an earlier symlink overwrites whatever the symlink points to)."""
    under = [p for p in path.parents if p.parts and _key(p) in links]
    if under:
        raise UnsafeArchiveError(f"{archive}: member {m.name!r} is written through a link ({under[0]}); "
                                 f"refusing the archive")
    if links.get(_key(path), m) is not m:
        raise UnsafeArchiveError(f"{archive}: member {m.name!r} has the name of a link in the archive, so "
                                 f"writing it would write through the link; refusing the archive")


def _check_link(m: tarfile.TarInfo, links: dict, files: set, archive: str) -> None:
    """Refuse a link that leads outside (following the archive's links), or a hard link to no file of it."""
    start = _member_path(m.name, archive).parent if m.issym() else PurePosixPath()  # hard links: from the root
    _resolve(start, m.linkname, links, archive, m.name)
    if m.islnk() and _key(PurePosixPath(m.linkname)) not in files:
        raise UnsafeArchiveError(f"{archive}: hard link {m.name!r} -> {m.linkname!r} does not name a file of "
                                 f"the archive; refusing the archive")


def _check_tar(tar: tarfile.TarFile, archive: str, limit: int) -> list[tarfile.TarInfo]:
    """Every member of `tar`, once all of them are known to be safe to write (else UnsafeArchiveError)."""
    members, links, files, total = [], {}, set(), 0
    for m in tar:  # in archive order, as tarfile writes them
        if len(members) >= MAX_MEMBERS:
            raise UnsafeArchiveError(f"{archive}: more than {MAX_MEMBERS:,} members; refusing the archive")
        path = _member_path(m.name, archive)
        if m.ischr() or m.isblk() or m.isfifo():
            raise UnsafeArchiveError(f"{archive}: member {m.name!r} is a device file or pipe; refusing the archive")
        if not (m.isfile() or m.isdir() or m.issym() or m.islnk()):
            raise UnsafeArchiveError(f"{archive}: member {m.name!r} has an unsupported type; refusing the archive")
        _through_link(path, m, links, archive)
        if m.issym() or m.islnk():
            if not path.parts:
                raise UnsafeArchiveError(f"{archive}: link {m.name!r} would replace the target folder itself")
            links[_key(path)] = m
            _check_link(m, links, files, archive)
        elif m.isfile():
            files.add(_key(path))
            total += m.size
        members.append((path, m))
    _check_total(total, limit, archive)
    # A link defined later changes what earlier names mean: check everything again with every link known.
    for path, m in members:
        _through_link(path, m, links, archive)
    for m in links.values():
        _check_link(m, links, files, archive)
    return [m for _, m in members]


def _check_zip(zf: zipfile.ZipFile, archive: str, limit: int) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UnsafeArchiveError(f"{archive}: more than {MAX_MEMBERS:,} members; refusing the archive")
    for info in infos:
        _member_path(info.filename, archive)
        mode = info.external_attr >> 16
        if mode and (mode & 0o170000) not in (0o100000, 0o040000, 0):  # anything but a file or a folder
            raise UnsafeArchiveError(f"{archive}: member {info.filename!r} is a link or special file; "
                                     f"refusing the archive")
    # zipfile never writes more than a member's declared size (a longer stream fails its CRC): the sum is a bound.
    _check_total(sum(i.file_size for i in infos), limit, archive)


def extract_archive(archive: Path, dest: Path, max_bytes: int | None = None) -> Path:
    """Unpack a tar (any compression) or zip archive into `dest`, refusing the whole archive before writing if any
    member is unsafe or the members declare more than `max_bytes` (default MAX_UNPACKED_BYTES) in all."""
    archive, dest = Path(archive), Path(dest)
    limit = MAX_UNPACKED_BYTES if max_bytes is None else max_bytes
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                _check_zip(zf, archive.name, limit)
                zf.extractall(root)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tar:
                members = _check_tar(tar, archive.name, limit)
                extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tar.extractall(root, members=members, **extra)
        else:
            raise DatasetError(f"{archive.name} is neither a tar nor a zip archive (a broken download, or an HTML "
                               f"error page saved under the archive's name?)")
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error) as err:
        if isinstance(err, getattr(tarfile, "FilterError", ())):  # tarfile's own filter refused a member
            raise UnsafeArchiveError(f"{archive.name}: {err}; refusing the archive") from err
        raise DatasetError(f"{archive.name} is damaged ({type(err).__name__}: {err}); fetch it again") from err
    return dest
