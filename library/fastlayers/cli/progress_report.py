"""A learner's progress: each `fastlayers check` run recorded locally, and `fastlayers progress --html` as a page.

Command-line infrastructure, not lesson material. The page shows the points overall and per lesson (with a
bar), each failing check with its one-line reason, and the history of points over time as a small chart.
"""
from __future__ import annotations

import datetime as _dt
import html
import json
import re
from pathlib import Path
from typing import Any

HISTORY = ".fastlayers-history.jsonl"  # next to the notebooks folder; one line per grading run
NOT_DONE = "not done yet"


def first_line(check: Any) -> str:
    """A failing check's reason in one line ('not done yet' for an untouched piece); '' when it passed."""
    if check.passed:
        return ""
    if "NotImplementedError" in check.message.split("\n", 2)[0] or "raise NotImplementedError" in check.message:
        return NOT_DONE
    lines = [ln for ln in check.message.splitlines() if ln.strip()]
    first = re.sub(r"^FAIL \S+ \([^)]*\): ", "", lines[0]) if lines else "failed"
    return first[:110]


def history_path(notebooks: str | Path) -> Path:
    return Path(notebooks).resolve().parent / HISTORY


def record(results: list[Any], path: Path) -> None:
    """Append this run's points per lesson to the history file (silently skipped where it cannot be written)."""
    entry = {"time": _dt.datetime.now().isoformat(timespec="seconds"),
             "lessons": {r.label: [r.score, r.max_score] for r in results}}
    try:
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
    except OSError:
        pass


def load_history(path: Path) -> list[dict]:
    """Every recorded run, oldest first (unreadable lines are skipped)."""
    runs = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return runs
    for line in lines:
        try:
            entry = json.loads(line)
            if isinstance(entry, dict) and isinstance(entry.get("lessons"), dict):
                runs.append(entry)
        except ValueError:
            continue
    return runs


def _chart(history: list[dict], width: int = 640, height: int = 200) -> str:
    """Total points over the recorded runs, as an inline SVG line chart."""
    points = []
    for entry in history:
        got = sum(float(v[0]) for v in entry["lessons"].values())
        total = sum(float(v[1]) for v in entry["lessons"].values())
        points.append((entry.get("time", ""), got, total))
    if len(points) < 2:
        return "<p>The chart appears after your second <code>fastlayers check</code>.</p>"
    top = max(max(p[2] for p in points), 1.0)
    pad = 30
    xs = [pad + i * (width - 2 * pad) / (len(points) - 1) for i in range(len(points))]
    ys = [height - pad - p[1] / top * (height - 2 * pad) for p in points]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))
    dots = "".join(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3'><title>{html.escape(p[0])}: {p[1]:g}/{p[2]:g}"
                   f"</title></circle>" for x, y, p in zip(xs, ys, points))
    return (f"<svg width='{width}' height='{height}' role='img' aria-label='points over time'>"
            f"<line x1='{pad}' y1='{height - pad}' x2='{width - pad}' y2='{height - pad}' stroke='#999'/>"
            f"<line x1='{pad}' y1='{pad}' x2='{pad}' y2='{height - pad}' stroke='#999'/>"
            f"<text x='2' y='{pad + 4}' font-size='11'>{top:g}</text>"
            f"<text x='2' y='{height - pad + 4}' font-size='11'>0</text>"
            f"<text x='{pad}' y='{height - 8}' font-size='11'>{html.escape(points[0][0][:16])}</text>"
            f"<text x='{width - pad}' y='{height - 8}' font-size='11' text-anchor='end'>"
            f"{html.escape(points[-1][0][:16])}</text>"
            f"<polyline points='{path}' fill='none' stroke='#2563a8' stroke-width='2'/>{dots}</svg>")


def html_report(results: list[Any], history: list[dict]) -> str:
    """The progress page: overall, per lesson (bar, failing checks in one line each), and the history chart."""
    got, total = sum(r.score for r in results), sum(r.max_score for r in results)
    out = ["<!doctype html><html><head><meta charset='utf-8'><title>fastlayers progress</title><style>",
           "body{font-family:sans-serif;max-width:52em;margin:2em auto;color:#222}",
           ".lesson{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:.8em 0}",
           ".bar{background:#eee;border-radius:4px;height:.8em;width:100%}",
           ".fill{background:#2f8f46;height:100%;border-radius:4px}",
           ".fail{color:#a01818}.done{color:#2f8f46}ul{margin:.4em 0 0 1.2em;padding:0}",
           "h2{font-size:1.1em;margin:.2em 0 .4em;display:flex;justify-content:space-between}</style></head><body>",
           f"<h1>fastlayers progress</h1><p>Overall: <b>{got:g} of {total:g}</b> points "
           f"({100 * got / total if total else 0:.0f}%).</p>", _chart(history)]
    for r in results:
        share = 100 * r.score / r.max_score if r.max_score else 0
        failing = [(c.name, first_line(c)) for c in r.checks if not c.passed]
        out.append(f"<div class='lesson'><h2><span>{html.escape(r.label)}</span><span>{r.score:g}/{r.max_score:g}"
                   f"</span></h2><div class='bar'><div class='fill' style='width:{share:.0f}%'></div></div>")
        if r.error:
            out.append(f"<p class='fail'>{html.escape(r.error.splitlines()[0])}</p>")
        if failing:
            todo = [n for n, why in failing if why == NOT_DONE]
            wrong = [(n, why) for n, why in failing if why != NOT_DONE]
            out.append("<ul>")
            out.extend(f"<li class='fail'><b>{html.escape(n)}</b>: {html.escape(why)}</li>" for n, why in wrong)
            if todo:
                out.append(f"<li>not done yet: {html.escape(', '.join(todo))}</li>")
            out.append("</ul>")
        elif r.checks:
            out.append("<p class='done'>every check passes</p>")
        out.append("</div>")
    out.append("<p>Run <code>fastlayers check -v</code> for each failing check's whole message.</p></body></html>")
    return "\n".join(out)
