"""Where tests find the course's real datasets (the shared offline mirror), and a stand-in for IMDB_SAMPLE when
there is none (a fresh clone): generated reviews with the real file's shape and size, served through the
registry's own mirror code with their own checksum, so every line of a lesson still runs."""
from __future__ import annotations

import csv
import hashlib
import math
import os
import random
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# $FASTLAYERS_DATA_MIRROR as set for the test run (CI sets it; tests/conftest.py made it absolute).
OUTER_MIRROR = os.environ.get("FASTLAYERS_DATA_MIRROR", "").strip()


def shared_mirror(repo: Path = REPO, outer: str = OUTER_MIRROR) -> str | None:
    """$FASTLAYERS_DATA_MIRROR as set for the test run, else ../shared/datasets next to the repository."""
    if outer:
        return outer  # a folder or URL; if it lacks the files, the tests that need them fail and say so
    default = repo.parent / "shared" / "datasets"
    return str(default) if (default / "imdb_sample" / "texts.csv").is_file() else None


def _words(rng: random.Random, n: int) -> list[str]:
    """`n` made-up words, short ones more likely, as in English."""
    letters = "etaoinshrdlucmfwypvbgkjqxz"
    weights = [12, 9, 8, 7.5, 7, 6.7, 6.3, 6, 6, 4.3, 4, 2.8, 2.4, 2.4, 2.2, 2, 2, 1.9, 1, 1.5, 2, .8, .2, .15, .1, .07]
    return ["".join(rng.choices(letters, weights, k=max(1, round(rng.lognormvariate(1.4, 0.45)))))
            for _ in range(n)]


def _review(rng: random.Random, vocab: list[str], cum: list[float], mood: list[str]) -> str:
    """One review of IMDb's length (a median near 185 words): sentences, paragraphs split by `<br /><br />`,
    and what the rules act on (capitals, shouting, repeated letters and punctuation)."""
    n = min(max(int(rng.lognormvariate(math.log(185), 0.72)), 34), 1263)
    words = rng.choices(vocab, cum_weights=cum, k=n)
    for i in rng.sample(range(n), k=max(2, n // 40)):
        words[i] = rng.choice(mood)
    out, sentence = [], 0
    for w in words:
        if sentence == 0:
            w = w.capitalize()
        elif rng.random() < 0.01:
            w = w.upper()
        out.append(w)
        sentence += 1
        if sentence > rng.randint(8, 25):
            out[-1] += rng.choice([".", ".", ".", "!", "?", "!!!", "..."])
            sentence = 0
            if rng.random() < 0.08:
                out[-1] += "<br /><br />"
    return " ".join(out).replace("<br /><br /> ", "<br /><br />") + "."


def write_imdb_sample_standin(folder: Path, n: int = 1000, n_valid: int = 200, seed: int = 0) -> Path:
    """Write `<folder>/mirror/imdb_sample/texts.csv` (columns label, text, is_valid, like the real file) and
    `<folder>/registry.yml` (the shipped registry, with that file's checksum); returns the mirror folder.
    Point FASTLAYERS_REGISTRY at the registry and FASTLAYERS_DATA_MIRROR at the mirror to use it."""
    rng = random.Random(seed)
    vocab = _words(rng, 8000)
    cum, total = [], 0.0
    for rank in range(1, len(vocab) + 1):  # Zipf's law: the r-th most frequent word is 1/r as frequent
        total += 1 / rank
        cum.append(total)
    moods = {"positive": ["great", "wonderful", "loved", "superb", "brilliant"],
             "negative": ["awful", "boring", "hated", "terrible", "dull"]}
    csv_path = folder / "mirror" / "imdb_sample" / "texts.csv"
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["label", "text", "is_valid"])
        for i in range(n):
            label = "positive" if rng.random() < 0.476 else "negative"
            writer.writerow([label, _review(rng, vocab, cum, moods[label]), i >= n - n_valid])
    data = csv_path.read_bytes()
    doc = yaml.safe_load((REPO / "datasets.yml").read_text(encoding="utf-8"))
    entry = next(e for e in doc["datasets"] if e["name"] == "imdb_sample")
    entry["files"] = [{"path": "texts.csv", "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                       "verified": True}]
    (folder / "registry.yml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return folder / "mirror"
