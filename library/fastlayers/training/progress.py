"""Progress bars (tqdm, on stderr) and the per-epoch metrics table (stdout)."""
from __future__ import annotations

import os
import sys
from typing import Any

from .callback import Callback

__all__ = ["ProgressCallback", "progress_defaults", "set_progress", "progress_from_env"]


def progress_from_env() -> bool:
    """False when the environment variable FASTLAYERS_PROGRESS is 0/false/no/off (e.g. for autograding)."""
    return os.environ.get("FASTLAYERS_PROGRESS", "1").strip().lower() not in ("0", "false", "no", "off")


class _Defaults:
    """Module-wide default: whether new Learners show progress bars."""
    show_progress: bool = progress_from_env()


progress_defaults = _Defaults()


def set_progress(show: bool) -> None:
    """Turn progress bars (and the metrics table) on or off for Learners created from now on."""
    progress_defaults.show_progress = bool(show)


def format_time(seconds: float) -> str:
    """Seconds as mm:ss (h:mm:ss past an hour), the way the metrics table shows an epoch's time."""
    seconds = int(round(float(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def _fmt(v: Any) -> str:
    if v is None:
        return "#na#"    # a value that could not be computed, e.g. an empty validation set
    if isinstance(v, int):
        return str(v)
    try:
        return f"{float(v):.6f}"
    except (TypeError, ValueError):
        return str(v)


class ProgressCallback(Callback):
    """A tqdm bar per training/validation pass, and a row of the metrics table after each epoch."""
    order, unique = 60, True

    def __init__(self, table: bool = True) -> None:
        self.table, self.bar = table, None

    def before_fit(self) -> None:
        self._in_fit = True
        self._header_done = False

    def _open(self, desc: str) -> None:
        from tqdm.auto import tqdm   # a widget in notebooks (when ipywidgets is there), text elsewhere
        self.close()
        n = len(self.learn.dl) if hasattr(self.learn.dl, "__len__") else None
        self.bar = tqdm(total=n, desc=desc, leave=False, file=sys.stderr, dynamic_ncols=True)

    def before_train(self) -> None:
        self._open(f"epoch {self.learn.epoch + 1}/{self.learn.n_epoch} train")

    def before_validate(self) -> None:
        self._open("valid")

    def after_batch(self) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if self.learn.training and getattr(self.learn, "smooth_loss", None) is not None \
                    and self.learn.train_iter % 10 == 0:
                self.bar.set_postfix(loss=f"{float(self.learn.smooth_loss):.4f}", refresh=False)

    def after_train(self) -> None:
        self.close()

    def after_validate(self) -> None:
        self.close()

    def after_epoch(self) -> None:
        rec = getattr(self.learn, "recorder", None)
        if not self.table or rec is None or not rec.values:
            return
        names = rec.metric_names
        row = [rec.log[0], *rec.log[1:]]
        widths = [max(len(n), 9) for n in names]
        if not self._header_done:
            print("  ".join(n.ljust(w) for n, w in zip(names, widths)))
            self._header_done = True
        cells = [_fmt(v) for v in row[:-1]] + [format_time(row[-1]) if row[-1] is not None else _fmt(None)]
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths)))

    def after_fit(self) -> None:
        self.close()

    def cleanup(self) -> None:
        """Called when fit ends in any way (also after an error or Ctrl-C)."""
        self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
