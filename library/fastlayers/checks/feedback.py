"""nbgrader feedback preprocessor: test cells show the check's message, never the test code around it."""
from __future__ import annotations

from typing import Any

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool


class HideTestCode(Preprocessor):
    """Replace the traceback of a failed test cell by its error line; a CheckFailure keeps its message (its lines
    are the message itself: called, expected, got, where, hint).

    IPython tracebacks quote the lines around the failing call, which can include `### BEGIN HIDDEN TESTS`
    code; nbgrader's ClearHiddenTests only cleans the cell source, so the outputs are cleaned here.
    """

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled").tag(config=True)

    def preprocess_cell(self, cell: Any, resources: dict, index: int) -> tuple[Any, dict]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution"):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error" and out.get("ename") != "CheckFailure":
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
        return cell, resources


try:
    from nbgrader.preprocessors import ClearHiddenTests as _ClearHiddenTests
    from traitlets import List as _List

    class ClearHiddenTestsQuietly(_ClearHiddenTests):
        """nbgrader's ClearHiddenTests, accepting the display priority nbconvert's HTML exporter configures
        (nbgrader's base class declares it without `config=True`, so every feedback run warned about it)."""

        display_data_priority = _List(["text/html", "application/pdf", "text/latex", "image/svg+xml", "image/png",
                                       "image/jpeg", "text/plain"]).tag(config=True)
except ImportError:  # pragma: no cover  nbgrader is a dependency; this only guards partial installs
    pass
