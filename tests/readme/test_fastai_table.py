"""The README's table of fastai names stays true: every fastlayers name in it exists."""
from __future__ import annotations

import re
from pathlib import Path

import fastlayers.all as fl
from fastlayers.training import Learner

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
TABLE = README.split("## Coming from fastai", 1)[1].split("\n## ", 1)[0]


def _fastlayers_names() -> set[str]:
    names = set()
    for row in TABLE.splitlines():
        cells = row.split("|")
        if len(cells) > 3 and "`" in cells[2]:
            names.update(re.findall(r"`(?:learn\.)?([A-Za-z_]\w*)", cells[2]))
    return names


def test_every_fastlayers_name_in_the_table_exists():
    names = _fastlayers_names()
    assert {"get_dataset", "tokenize1", "validate", "tta", "to_fp16", "default_device"} <= names
    missing = sorted(n for n in names if not hasattr(fl, n) and not hasattr(Learner, n))
    assert not missing, f"the README's fastai table names {missing}, which fastlayers does not have"
