"""The episode report a producer opens in a browser: verdict, loudness, issues, transcript.

Rendered from the same summary dict as `<slug>.result.json` plus the alignment, with a
jinja2 template (autoescaped); timestamps are buttons that seek the episode's audio player.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from .types import Alignment, EpisodeMeta, Segment


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    total = int(seconds)
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def _num(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}f}"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("audio_pipeline", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clock"] = _clock
    env.filters["num"] = _num
    return env


CONFIDENT = 0.5  # issues at or above this are misreads to fix; below, likely mishearings


def verdict_class(summary: dict[str, Any], to_fix: int) -> str:
    if summary.get("status") != "ok" or summary.get("match") == "mismatch":
        return "bad"
    return "warn" if summary.get("match") == "partial" or to_fix else "ok"


def render_report(
    meta: EpisodeMeta,
    summary: dict[str, Any],
    *,
    alignment: Alignment | None,
    segments: Sequence[Segment],
    verdict: str,
    files: Sequence[str],
    mp3_name: str | None,
) -> str:
    """HTML for `<slug>.report.html`; `files` are names relative to the report's folder."""
    if alignment is not None:
        sentences = [
            {"start": s.start, "text": s.text, "status": s.status} for s in alignment.sentences
        ]
        issues = [i for i in alignment.issues if i.type not in ("intro", "outro")]
        to_fix = [i for i in issues if i.confidence >= CONFIDENT]
        notes = [i for i in issues if i.confidence < CONFIDENT]
        chapters = list(alignment.chapters)
    else:
        sentences = [{"start": s.start, "text": s.text, "status": "read"} for s in segments]
        to_fix, notes, chapters = [], [], []
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=meta.title or summary.get("slug", ""),
        slug=summary.get("slug", ""),
        authors=", ".join(meta.authors),
        narrator=meta.narrator,
        duration=summary.get("duration"),
        mp3=mp3_name,
        verdict=verdict,
        verdict_class=verdict_class(summary, len(to_fix)),
        loudness=summary.get("loudness"),
        to_fix=to_fix,
        notes=notes,
        chapters=chapters,
        warnings=summary.get("warnings", []),
        sentences=sentences,
        files=[Path(f).name for f in files],
        stage_seconds=summary.get("stage_seconds", {}),
    )
