"""Fashion-MNIST for tests: the real files from the shared offline mirror when there is one, else a small stand-in
of the same format (gzip-compressed IDX files, 28x28 uint8 images, labels 0-9) written here and served through the
registry's own mirror code with its own checksums, so a fresh clone without the mirror still runs every test."""
from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import yaml

from tests.mirror import REPO, shared_mirror

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz")


def real_fashion_mnist() -> str | None:
    """The shared mirror folder when it holds Fashion-MNIST (or a URL mirror, trusted to), else None."""
    mirror = shared_mirror()
    if mirror and ("://" in mirror or all((Path(mirror) / "fashion_mnist" / f).is_file() for f in FILES)):
        return mirror
    return None


def idx_bytes(array: np.ndarray) -> bytes:
    """`array` (uint8) in the IDX format: two zero bytes, type 0x08, the number of dimensions, the sizes, the data."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def standin_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` 28x28 images of 10 classes a small model can tell apart: a bar whose angle and length follow the class."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    yy, xx = np.mgrid[-1:1:28j, -1:1:28j]
    images = np.empty((n, 28, 28), dtype=np.uint8)
    for i, c in enumerate(labels):
        angle = c * np.pi / 10 + rng.normal(0, 0.05)
        along = xx * np.cos(angle) + yy * np.sin(angle)
        across = -xx * np.sin(angle) + yy * np.cos(angle)
        bar = (np.abs(across) < 0.15) & (np.abs(along) < 0.3 + 0.06 * c)
        images[i] = np.clip(bar * 220 + rng.normal(0, 12, (28, 28)), 0, 255).astype(np.uint8)
    return images, labels.astype(np.uint8)


def write_fashion_mnist_standin(folder: Path, n_train: int = 2000, n_test: int = 400, seed: int = 0) -> Path:
    """Write `<folder>/mirror/fashion_mnist/*.gz` and `<folder>/registry.yml` (the shipped registry, with these
    files' checksums); returns the mirror folder. Point FASTLAYERS_REGISTRY at the registry and
    FASTLAYERS_DATA_MIRROR at the mirror to use it."""
    out = folder / "mirror" / "fashion_mnist"
    out.mkdir(parents=True, exist_ok=True)
    train, test = standin_images(n_train, seed), standin_images(n_test, seed + 1)
    arrays = (train[0], train[1], test[0], test[1])
    specs = []
    for name, array in zip(FILES, arrays):
        data = gzip.compress(idx_bytes(array), mtime=0)
        (out / name).write_bytes(data)
        specs.append({"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "verified": True})
    doc = yaml.safe_load((REPO / "datasets.yml").read_text(encoding="utf-8"))
    entry = next(e for e in doc["datasets"] if e["name"] == "fashion_mnist")
    entry["files"] = specs
    (folder / "registry.yml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return folder / "mirror"


def use_fashion_mnist(tmp_path: Path, monkeypatch) -> str:
    """Make `get_dataset("fashion_mnist")` work in this test: 'real' (the shared mirror) or 'stand-in'."""
    real = real_fashion_mnist()
    if real:
        monkeypatch.setenv("FASTLAYERS_DATA_MIRROR", real)
        return "real"
    mirror = write_fashion_mnist_standin(tmp_path / "standin")
    monkeypatch.setenv("FASTLAYERS_REGISTRY", str(tmp_path / "standin" / "registry.yml"))
    monkeypatch.setenv("FASTLAYERS_DATA_MIRROR", str(mirror))
    return "stand-in"
