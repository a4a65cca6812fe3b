"""Downloading one URL to a file, for the dataset registry: retries, a progress bar, limits a server cannot dodge.

Infrastructure, not lesson material. A download is bounded three ways: `timeout` (seconds a socket may stay
silent), `deadline` (seconds for the whole download, retries included: a server that trickles a byte a second
never lets a per-read timeout fire) and `max_bytes` (a server that sends more than the file can hold is cut off).
"""
from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

from .dataset_errors import DownloadError, TooLargeError

__all__ = ["download_url"]

DOWNLOAD_TIMEOUT = 30.0  # seconds a socket may stay silent before the attempt counts as failed
DOWNLOAD_DEADLINE = 3600.0  # seconds one download may take in all, retries included (144 MB at 40 KB/s)
DOWNLOAD_RETRIES = 3  # extra attempts after the first, for transient failures only
RETRY_BACKOFF = 1.0  # seconds before the first retry, doubled for each further one
_CHUNK = 1 << 16


class _Truncated(DownloadError):
    """The server closed the connection before sending the whole body (retried)."""


class _Late(DownloadError):
    """The deadline passed (not retried: the deadline covers every attempt)."""


def _progress_bar(total: int | None, desc: str, enabled: bool):
    from tqdm.auto import tqdm  # imported late: tqdm.auto probes for Jupyter

    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, disable=not enabled,
                file=sys.stderr, leave=False)


class _Watchdog:
    """Shuts down the sockets of one attempt when the deadline passes, so no blocked read outlives it."""

    def __init__(self, seconds: float):
        self.expired = False
        self._socks: list[socket.socket] = []
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> "_Watchdog":
        self._timer.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        self.expired = True
        for sock in list(self._socks):
            _shut_down(sock)

    def connection(self, cls: type) -> type:
        """`cls` (an HTTP(S)Connection) whose sockets this watchdog can shut down; redirects open new ones."""
        watchdog = self

        class Watched(cls):
            def connect(self) -> None:
                super().connect()
                # Kept here: urllib drops the connection's reference once the headers are in, while the
                # response goes on reading from the same socket.
                watchdog._socks.append(self.sock)
                if watchdog.expired:
                    _shut_down(self.sock)

        return Watched


def _shut_down(sock: socket.socket | None) -> None:
    # The plain socket's shutdown, also under TLS: it wakes a thread blocked in recv without touching SSL state.
    if sock is not None:
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _opener(watchdog: _Watchdog) -> urllib.request.OpenerDirector:
    """urllib's usual opener (proxies, redirects), with connections the watchdog can shut down."""

    class Http(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(watchdog.connection(http.client.HTTPConnection), req)

    class Https(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(watchdog.connection(http.client.HTTPSConnection), req,
                                context=ssl.create_default_context())

    return urllib.request.build_opener(Http, Https)


def human_size(n: float) -> str:
    """A byte count in decimal units: `512 B`, `1.5 KB`, ..., GB for anything larger."""
    for unit in ("B", "KB", "MB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def _download_once(url: str, dest: Path, timeout: float, progress: bool, desc: str, watchdog: _Watchdog,
                   max_bytes: int | None) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "fastlayers-datasets"})
    with _opener(watchdog).open(request, timeout=timeout) as resp:
        length = resp.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        if max_bytes is not None and total is not None and total > max_bytes:
            raise TooLargeError(f"{url}: the server announces {human_size(total)}, more than the "
                                f"{human_size(max_bytes)} expected; refused before downloading")
        received = 0
        with open(dest, "wb") as out, _progress_bar(total, desc, progress) as bar:
            while chunk := resp.read(_CHUNK):
                received += len(chunk)
                if max_bytes is not None and received > max_bytes:
                    raise TooLargeError(f"{url}: the server sent more than the {human_size(max_bytes)} expected; "
                                        f"stopped reading")
                out.write(chunk)
                bar.update(len(chunk))
    if watchdog.expired:  # the watchdog's shutdown looks like an early end of the body: say what happened
        raise _Late("deadline passed")
    # http.client returns a short body silently when the peer hangs up early: compare with the header.
    if total is not None and received < total:
        raise _Truncated(f"truncated body: received {received} of {total} bytes")


def download_url(url: str, dest: Path, *, timeout: float = DOWNLOAD_TIMEOUT, retries: int = DOWNLOAD_RETRIES,
                 progress: bool = True, desc: str | None = None, deadline: float = DOWNLOAD_DEADLINE,
                 max_bytes: int | None = None) -> Path:
    """Download `url` to `dest` with a progress bar, retrying transient failures, within `deadline` seconds in
    all and at most `max_bytes`; raises DownloadError."""
    dest = Path(dest)
    end = time.monotonic() + deadline
    last: Exception | None = None
    late = deadline <= 0
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(min(RETRY_BACKOFF * 2 ** (attempt - 1), max(end - time.monotonic(), 0.0)))
        if time.monotonic() >= end:
            late = True
            break
        watchdog = _Watchdog(end - time.monotonic())
        try:
            with watchdog:
                _download_once(url, dest, timeout, progress, desc or dest.name, watchdog, max_bytes)
            return dest
        except urllib.error.HTTPError as err:
            if err.code < 500 and err.code not in (408, 429):  # the server's final answer: retrying cannot help
                raise DownloadError(f"{url}: HTTP {err.code} {err.reason}") from err
            last = err
        except (_Late, _Truncated, urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as err:
            if watchdog.expired:
                late = True
                break
            last = err  # timeouts, refused or reset connections, short bodies: worth another try
    if late:
        raise DownloadError(f"{url}: not finished within the {deadline:g} s allowed for the whole download (a "
                            f"very slow or stalling server); try again later, pass a longer `deadline`, or set "
                            f"FASTLAYERS_DATA_MIRROR to a local copy") from last
    reason = getattr(last, "reason", None) or last
    if isinstance(last, TimeoutError) or isinstance(reason, TimeoutError):
        reason = f"timed out (no data for {timeout:g} s)"
    raise DownloadError(f"{url}: failed after {retries + 1} attempt(s): {reason}") from last
