"""The episode report a producer opens in a browser: verdict, loudness, issues, transcript.

Rendered from the same EpisodeSummary as `<slug>.result.json` plus the alignment, with a
jinja2 template (autoescaped); timestamps are buttons that seek the episode's audio player.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from audio_pipeline.align.verdict import notes, to_fix
from audio_pipeline.formatting import clock, fixed
from audio_pipeline.types import Alignment, EpisodeMeta, EpisodeSummary, Segment


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("audio_pipeline.publish", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clock"] = lambda t: clock(t, pad=True, missing="--:--")
    env.filters["num"] = lambda v, digits=1: fixed(v, digits, missing="–")
    return env


def verdict_class(summary: EpisodeSummary, to_fix: int) -> str:
    if summary.status != "ok" or summary.match == "mismatch":
        return "bad"
    return "warn" if summary.match == "partial" or to_fix else "ok"


def render_report(
    meta: EpisodeMeta,
    summary: EpisodeSummary,
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
        fix, others = to_fix(alignment), notes(alignment)
        chapters = list(alignment.chapters)
    else:
        sentences = [{"start": s.start, "text": s.text, "status": "read"} for s in segments]
        fix, others, chapters = [], [], []
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=meta.title or summary.slug,
        slug=summary.slug,
        authors=", ".join(meta.authors),
        narrator=meta.narrator,
        duration=summary.duration,
        mp3=mp3_name,
        verdict=verdict,
        verdict_class=verdict_class(summary, len(fix)),
        loudness=summary.loudness,
        to_fix=fix,
        notes=others,
        chapters=chapters,
        warnings=list(summary.warnings),
        sentences=sentences,
        files=[Path(f).name for f in files],
        stage_seconds=summary.stage_seconds,
        audio_checks=list(summary.audio_checks),
    )
