"""The dataset registry's errors and warnings: one base class, one subclass per way getting a dataset can fail.

Infrastructure, not lesson material: shared by `external` (the registry and its cache), `download` and `archives`.
"""
from __future__ import annotations

__all__ = ["DatasetError", "RegistryError", "UnknownDatasetError", "DownloadError", "ChecksumError",
           "TooLargeError", "UnsafeArchiveError", "CacheNotWritableError", "DatasetUnavailable", "UnverifiedDatasetWarning",
           "DamagedCacheWarning"]


class DatasetError(Exception):
    """A dataset could not be found, downloaded, verified or unpacked."""


class RegistryError(DatasetError):
    """datasets.yml (or the file in $FASTLAYERS_REGISTRY) is malformed, or a setting it depends on is unusable."""


class UnknownDatasetError(DatasetError):
    """The name is not in the registry; `suggestions` holds close names."""

    def __init__(self, name: str, suggestions: list[str]):
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown dataset {name!r}.{hint} `fastlayers data list` shows every dataset.")
        self.name, self.suggestions = name, suggestions


class DownloadError(DatasetError):
    """A download failed (network error, HTTP error, timeout, deadline, truncated or oversized body)."""


class ChecksumError(DatasetError):
    """A file's sha256 differs from the registry's."""


class TooLargeError(ChecksumError):
    """A file is larger than the registry allows, so it cannot be the right one: refused before it is stored."""


class UnsafeArchiveError(DatasetError):
    """An archive would write outside its folder, holds a link or device we refuse, or would unpack too much."""


class CacheNotWritableError(DatasetError):
    """The cache folder cannot be created or written to (read-only, no permission, not a folder)."""


class DatasetUnavailable(DatasetError):
    """Every source failed; `attempts` lists (source, error) pairs."""

    def __init__(self, name: str, attempts: list[tuple[str, DatasetError]]):
        lines = [f"  - {src}: {err}" for src, err in attempts] or ["  - no source configured"]
        super().__init__(f"could not get dataset {name!r}; sources tried:\n" + "\n".join(lines))
        self.name, self.attempts = name, attempts


class UnverifiedDatasetWarning(UserWarning):
    """Files were accepted without a registry checksum (their hashes are recorded in the cache manifest)."""


class DamagedCacheWarning(UserWarning):
    """A cached dataset no longer matches its checksums (truncated, edited, half-deleted): it is fetched again."""
