"""`from fastlayers.all import *` gives notebooks every layer's public names; progress can be set by env."""
from __future__ import annotations

import os
import subprocess
import sys


def test_star_import_brings_all_layers():
    ns: dict = {}
    exec("from fastlayers.all import *", ns)
    for name in ("Learner", "ParamScheduler", "DataLoaders", "Transform", "Pipeline",
                 "accuracy", "load_learner", "ClassificationInterpretation", "set_progress"):
        assert name in ns, name
    import fastlayers.all as a
    assert a.skipped_layers == {}, a.skipped_layers


def test_progress_off_from_environment():
    code = ("from fastlayers.training import Learner, progress_defaults; "
            "print(progress_defaults.show_progress)")
    env = {**os.environ, "FASTLAYERS_PROGRESS": "0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
