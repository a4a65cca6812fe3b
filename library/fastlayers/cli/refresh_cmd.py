"""`fastlayers lessons --execute`: run the lesson notebooks in course/ and save them with their outputs.

Command-line infrastructure, not lesson material. Lesson notebooks ship executed, so a student reading one on the
web, or before running it, sees its plots. Each executed notebook records a hash of its code cells in its
metadata; a test checks that the committed outputs come from the code as it is now (the hash matches) and that a
fresh run produces the same kinds of output cell by cell.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

KEY = "fastlayers"  # notebook metadata section


def code_hash(nb: Any) -> str:
    """sha256 of the notebook's code cells, in order (what its outputs depend on, besides the library)."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":
            digest.update(cell.source.encode("utf-8") + b"\0")
    return digest.hexdigest()


def output_kinds(nb: Any) -> list[list[str]]:
    """Per code cell, the kinds of output it shows (stream name, 'image', 'text', 'error'), order kept."""
    kinds = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        found = []
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                found.append(out.get("name", "stdout"))
            elif out.output_type == "error":
                found.append("error")
            else:
                data = out.get("data", {})
                found.append("image" if any(k.startswith("image/") for k in data) else "text")
        kinds.append(sorted(set(found)))
    return kinds


@contextlib.contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Set (a string) or remove (None) environment variables inside the block; put them back after."""
    def apply(settings: dict) -> None:
        for key, value in settings.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    saved = {k: os.environ.get(k) for k in values}
    try:
        apply(values)
        yield
    finally:
        apply(saved)


def execute(path: Path, timeout: float = 600) -> tuple[Any, float]:
    """Run the notebook at `path` from a scratch folder (nothing it saves lands next to it); returns it and the
    seconds it took. Outputs go to the notebook object, not the file."""
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    # the kernel inherits this environment: no progress bars in the saved pages, and matplotlib's notebook
    # backend (a test run may have set MPLBACKEND=Agg, which would draw nothing into the page)
    with environment(FASTLAYERS_PROGRESS="0", MPLBACKEND=None):
        with tempfile.TemporaryDirectory(prefix="fastlayers-lesson-") as tmp:
            client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": tmp}})
            start = time.perf_counter()
            client.execute()
            seconds = time.perf_counter() - start
    return nb, seconds


def refresh(path: Path) -> float:
    """Execute the lesson notebook at `path` and save it with its outputs and its code hash; returns seconds."""
    import nbformat
    nb, seconds = execute(path)
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)  # run times: noise in the diff
    nb.metadata[KEY] = {"code_sha256": code_hash(nb)}
    nbformat.write(nb, str(path))
    return seconds
