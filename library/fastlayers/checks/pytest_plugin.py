"""pytest plugin: registers the per-lesson markers used by graded exercise notebooks."""
from __future__ import annotations

LESSONS = [f"lesson{n:02d}" for n in range(12)]


def pytest_configure(config) -> None:
    """Register lesson00..lesson11 so `--strict-markers` accepts them."""
    for name in LESSONS:
        config.addinivalue_line("markers", f"{name}: checks of graded exercise {name[6:]}")
