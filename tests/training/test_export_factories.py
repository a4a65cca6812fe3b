"""Every `from_*` factory of sensor and text gives a learner that exports, loads in place of the original, and
predicts on the kind of item a user has in hand (a series as an array or a tensor; a string)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from fastlayers.training import load_learner

TEXTS = ["good movie great", "bad film awful", "great fun", "awful boring"] * 10
LABELS = ["pos", "neg", "pos", "neg"] * 10


def _roundtrip(learn, tmp_path, items):
    learn.fit(1)
    before = [learn.predict(x) for x in items]
    learn.export("export.pkl")
    loaded = load_learner(tmp_path / "export.pkl")
    after = [loaded.predict(x) for x in items]
    for b, a in zip(before, after):
        assert b[0] == a[0] and torch.allclose(b[2], a[2], atol=1e-5)
    return after


def _text_factories(tmp_path):
    from fastlayers.text import TextDataLoaders
    df = pd.DataFrame({"text": TEXTS, "label": LABELS, "is_valid": [i % 5 == 0 for i in range(40)]})
    df.to_csv(tmp_path / "texts.csv", index=False)
    for i, (t, label) in enumerate(zip(TEXTS, LABELS)):
        folder = tmp_path / "folder" / ("valid" if i % 5 == 0 else "train") / label
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i}.txt").write_text(t)
    common = dict(bs=8, min_freq=1)
    return {
        "from_texts": lambda: TextDataLoaders.from_texts(TEXTS, LABELS, [list(range(8, 40)), list(range(8))], **common),
        "from_df": lambda: TextDataLoaders.from_df(df, valid_col="is_valid", **common),
        "from_csv": lambda: TextDataLoaders.from_csv(tmp_path, valid_col="is_valid", **common),
        "from_folder": lambda: TextDataLoaders.from_folder(tmp_path / "folder", **common),
    }


@pytest.mark.parametrize("factory", ["from_texts", "from_df", "from_csv", "from_folder"])
def test_text_learners_export_and_predict_a_string(factory, tmp_path):
    from fastlayers.text import lstm_learner
    torch.manual_seed(0)
    dls = _text_factories(tmp_path)[factory]()
    learn = lstm_learner(dls, progress=False, path=tmp_path)
    label, _, probs = _roundtrip(learn, tmp_path, ["what a great movie", "awful, just awful"])[0]
    assert label in {"pos", "neg"} and probs.shape == (2,)


def _sensor_factories():
    from fastlayers.sensor import SensorDataLoaders
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3, 30)).astype(np.float32)
    y = np.array(["a", "b"] * 20)
    df = pd.DataFrame({"id": np.repeat(np.arange(20), 10), "t": np.tile(np.arange(10), 20),
                       "c1": rng.normal(size=200), "c2": rng.normal(size=200),
                       "c3": rng.normal(size=200), "label": np.repeat(["x", "y"] * 10, 10)})
    return {
        "from_arrays": lambda: SensorDataLoaders.from_arrays(X, y, bs=8, seed=0),
        "from_df": lambda: SensorDataLoaders.from_df(df, "id", "t", ["c1", "c2", "c3"], "label", bs=4),
        "from_aeon": lambda: SensorDataLoaders.from_aeon("BasicMotions", bs=16, seed=0),
    }


@pytest.mark.parametrize("factory", ["from_arrays", "from_df", "from_aeon"])
def test_sensor_learners_export_and_predict_an_array_or_a_tensor(factory, tmp_path):
    from fastlayers.sensor import sensor_learner
    torch.manual_seed(0)
    dls = _sensor_factories()[factory]()
    learn = sensor_learner(dls, progress=False, path=tmp_path)
    _, c_in, length = dls.one_batch()[0].shape
    series = np.random.default_rng(1).normal(size=(c_in, length)).astype(np.float32)
    results = _roundtrip(learn, tmp_path, [series, torch.tensor(series)])
    assert results[0][0] == results[1][0]
