"""The test suite runs in a fastlayers home of its own: it never writes to the user's ~/.fastlayers."""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from fastlayers.data.external import fastlayers_home
from fastlayers.text.tokenizer import Tokenizer


def test_the_suite_has_its_own_empty_fastlayers_home():
    home = fastlayers_home()
    assert home != Path.home() / ".fastlayers"
    assert Path(tempfile.gettempdir()) in home.parents and home.name.startswith("fastlayers-test-home-")


def test_caches_and_child_processes_use_it_too():
    assert Path(fastlayers_home()) in Tokenizer(use_cache=True).cache_dir.parents
    code = "from fastlayers.data.external import fastlayers_home; print(fastlayers_home())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ),
                         check=True).stdout.strip()
    assert out == str(fastlayers_home())
