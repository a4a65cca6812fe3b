"""Settings shared by the whole test suite: headless plots, quiet threads, an isolated fastlayers home."""
import atexit
import os
import shutil
import tempfile

os.environ.setdefault("MPLBACKEND", "Agg")
# Two cores are shared by the test processes; more torch threads than cores only adds contention.
os.environ.setdefault("OMP_NUM_THREADS", "1")

# The suite never touches the user's ~/.fastlayers (nor a FASTLAYERS_HOME they use): each run (each xdist
# worker) gets an empty home of its own, inherited by every process and notebook kernel it starts.
_HOME = tempfile.mkdtemp(prefix="fastlayers-test-home-")
os.environ["FASTLAYERS_HOME"] = _HOME
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)

# A relative mirror was typed relative to where pytest started: resolve it here, once, for every process.
_mirror = os.path.expanduser(os.environ.get("FASTLAYERS_DATA_MIRROR", "").strip())
if _mirror and "://" not in _mirror and not os.path.isabs(_mirror):
    os.environ["FASTLAYERS_DATA_MIRROR"] = os.path.abspath(_mirror)
