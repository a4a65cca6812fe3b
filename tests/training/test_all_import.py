"""`from fastlayers.all import *` gives notebooks every layer's public names; progress can be set by env."""
from __future__ import annotations


def test_star_import_brings_all_layers():
    ns: dict = {}
    exec("from fastlayers.all import *", ns)
    for name in ("Learner", "ParamScheduler", "DataLoaders", "Transform", "Pipeline",
                 "accuracy", "load_learner", "ClassificationInterpretation", "set_progress",
                 "vision_learner", "aug_transforms", "sensor_learner", "SensorDataLoaders", "TextDataLoaders"):
        assert name in ns, name


def test_progress_off_from_environment(monkeypatch):
    from fastlayers.training import progress_from_env
    for value, expected in (("0", False), ("off", False), ("False", False), ("1", True), ("", True)):
        monkeypatch.setenv("FASTLAYERS_PROGRESS", value)
        assert progress_from_env() is expected
    monkeypatch.delenv("FASTLAYERS_PROGRESS")
    assert progress_from_env() is True
