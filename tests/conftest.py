"""Settings shared by the whole test suite: headless plots, quiet threads, an isolated dataset cache."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")
# Two cores are shared by the test processes; more torch threads than cores only adds contention.
os.environ.setdefault("OMP_NUM_THREADS", "1")
