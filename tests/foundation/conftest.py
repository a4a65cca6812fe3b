"""Fixtures for the registry tests: an isolated cache, a registry file per test, a local HTTP server, archives."""
from __future__ import annotations

import collections
import contextlib
import hashlib
import io
import os
import subprocess
import tarfile
import threading
import time
import zipfile
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from fastlayers.data import download, external

# The mirror configured for the whole run (CI sets it); read before the fixtures below clear it for each test.
OUTER_MIRROR = os.environ.get("FASTLAYERS_DATA_MIRROR", "").strip()

def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    """Every test gets its own empty cache, no mirror, the shipped registry and no retry back-off."""
    folder = tmp_path / "home"
    monkeypatch.setenv("FASTLAYERS_HOME", str(folder))
    monkeypatch.delenv("FASTLAYERS_DATA_MIRROR", raising=False)
    monkeypatch.delenv("FASTLAYERS_REGISTRY", raising=False)
    monkeypatch.setattr(download, "RETRY_BACKOFF", 0.0)
    return folder


def entry(name: str, url: str, files: dict[str, bytes | None], **extra) -> dict:
    """A registry entry whose checksums are those of `files` (None: listed as unverified)."""
    specs = []
    for path, data in files.items():
        if data is None:
            specs.append({"path": path, "sha256": None, "verified": False})
        else:
            specs.append({"path": path, "sha256": sha256(data), "size": len(data), "verified": True})
    return {"name": name, "description": f"test dataset {name}", "task": "testing", "license": "CC0",
            "citation": "none", "url": url, "files": specs, **extra}


@pytest.fixture
def use_registry(tmp_path, monkeypatch):
    """Write the given entries to a registry file and point $FASTLAYERS_REGISTRY at it."""

    def write(*entries: dict) -> Path:
        path = tmp_path / "registry.yml"
        path.write_text(yaml.safe_dump({"datasets": list(entries)}), encoding="utf-8")
        monkeypatch.setenv("FASTLAYERS_REGISTRY", str(path))
        return path

    return write


def leftovers(home: Path) -> list[str]:
    """Everything in the cache except lock files: must be empty after a failed fetch."""
    root = home / "datasets"
    return sorted(p.name for p in root.iterdir() if not p.name.endswith(".lock")) if root.exists() else []


# ---------------------------------------------------------------- archives

def make_tar(path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w:gz") -> bytes:
    """Write a tar archive of (name, bytes) files and raw TarInfo members (links, devices); returns its bytes."""
    with tarfile.open(path, mode) as tar:
        for m in members:
            if isinstance(m, tarfile.TarInfo):
                tar.addfile(m)
            else:
                info = tarfile.TarInfo(m[0])
                info.size = len(m[1])
                tar.addfile(info, io.BytesIO(m[1]))
    return path.read_bytes()


def tar_link(name: str, target: str, hard: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    return info


def make_zip(path: Path, members: list[tuple[str, bytes]] | list[zipfile.ZipInfo | tuple[str, bytes]],
             compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for m in members:
            if isinstance(m, zipfile.ZipInfo):
                zf.writestr(m, b"target")
            else:
                zf.writestr(m[0], m[1])
    return path.read_bytes()


# ---------------------------------------------------------------- HTTP server

@dataclass
class Route:
    body: bytes
    mode: str = "ok"  # ok | truncate | stall | error500 | trickle | trickle_headers | no_length
    fail_first: int = 0  # this many requests behave as `first_mode`, later ones as `mode`
    first_mode: str = "truncate"
    delay: float = 0.0  # seconds between the body's four chunks (a slow server), or between trickled bytes


class Server:
    """A tiny HTTP server on 127.0.0.1 that misbehaves on request; counts hits per path."""

    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.hits: collections.Counter = collections.Counter()
        self.sent: collections.Counter = collections.Counter()  # body bytes written per path (ok/trickle modes)
        self.release = threading.Event()  # lets stalled handlers finish at teardown
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                path = self.path.lstrip("/")
                owner.hits[path] += 1
                route = owner.routes.get(path)
                if route is None:
                    self.send_error(404)
                    return
                mode = route.first_mode if owner.hits[path] <= route.fail_first else route.mode
                if mode == "error500":
                    self.send_error(500)
                    return
                if mode == "trickle_headers":  # the status line and headers, one byte at a time
                    head = f"HTTP/1.0 200 OK\r\nContent-Length: {len(route.body)}\r\n\r\n".encode()
                    with contextlib.suppress(OSError):  # the client hangs up at its deadline
                        for i in range(len(head)):
                            self.wfile.write(head[i:i + 1])
                            self.wfile.flush()
                            time.sleep(route.delay)
                        self.wfile.write(route.body)
                    return
                if mode == "no_length":  # no Content-Length: the body ends when the connection closes
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(route.body)
                    self.close_connection = True
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                if mode == "truncate":
                    self.wfile.write(route.body[: len(route.body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if mode == "stall":
                    self.wfile.write(route.body[:10])
                    self.wfile.flush()
                    owner.release.wait(10)
                    return
                step = 1 if mode == "trickle" else max(1, len(route.body) // 4)
                for start in range(0, len(route.body), step):
                    try:
                        self.wfile.write(route.body[start:start + step])
                        self.wfile.flush()
                    except OSError:  # the client hung up
                        return
                    owner.sent[path] += len(route.body[start:start + step])
                    time.sleep(route.delay)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{path}"

    def add(self, path: str, body: bytes, **kw) -> str:
        self.routes[path] = Route(body, **kw)
        return self.url(path)


@pytest.fixture
def server():
    srv = Server()
    srv.thread.start()
    yield srv
    srv.release.set()
    srv.httpd.shutdown()
    srv.httpd.server_close()


@contextlib.contextmanager
def read_only(folder: Path):
    """`folder` cannot be written to inside the block: by its permissions, or, for root (whom permissions do
    not stop), by the immutable attribute; skips the test where neither is possible."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot make a folder read-only as root here: {done.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
