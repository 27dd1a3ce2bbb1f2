"""The episode report a producer opens in a browser: verdict, the loudness plot and
figures, issues, chapters, the tags written, warnings, transcript.

Rendered from the same EpisodeSummary as `<slug>.result.json` plus the alignment, the
loudness curves (``plot.LoudnessCurves``) and the tags read back from the MP3, with
jinja2 templates (autoescaped; one partial per section); timestamps are buttons that
seek the episode's audio player.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment

from audio_pipeline.align.verdict import notes, to_fix
from audio_pipeline.edit.timemap import TimeMap
from audio_pipeline.edit.types import EditList
from audio_pipeline.formatting import clock, fixed
from audio_pipeline.metadata.tag_readback import TagReadback
from audio_pipeline.publish.page import environment
from audio_pipeline.publish.plot import LoudnessCurves, build_plot
from audio_pipeline.types import Alignment, EpisodeMeta, EpisodeSummary, Segment


def _environment() -> Environment:
    env = environment()  # the listener page's: same loader, escaping and clock filter
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
    curves: LoudnessCurves | None = None,
    tags: TagReadback | None = None,
    edits: EditList | None = None,
    edited: tuple[str, TimeMap] | None = None,
) -> str:
    """HTML for `<slug>.report.html`; `files` are names relative to the report's folder.
    ``edits``: the edit list; ``edited``: the edited MP3's name and the cuts as rendered."""
    if alignment is not None:
        sentences = [
            {"start": s.start, "text": s.text, "status": s.status} for s in alignment.sentences
        ]
        fix, others = to_fix(alignment), notes(alignment)
        chapters = list(alignment.chapters)
    else:
        sentences = [{"start": s.start, "text": s.text, "status": "read"} for s in segments]
        fix, others, chapters = [], [], []
    plot = (build_plot(curves, [*fix, *others], summary.duration)
            if curves is not None and curves.before else None)
    template = _environment().get_template("report.html.j2")
    return template.render(
        language=meta.language or "en",
        plot=plot,
        tags=tag_rows(tags) if tags is not None else [],
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
        edits=edit_rows(edits, edited[1] if edited else None),
        removed=edited[1].removed if edited else (edits.removed if edits else 0.0),
        edited_mp3=edited[0] if edited else None,
    )


def edit_rows(edits: EditList | None, rendered: TimeMap | None) -> list[dict[str, object]]:
    """One row per cut; once rendered, its span as rendered (moved to the quiet points, a
    pause to its measured room tone) and where the join falls in the edited episode."""
    rows: list[dict[str, object]] = []
    for cut in edits.cuts if edits else ():
        start, end = cut.start, cut.end
        if rendered is not None:
            start, end = next(((s, e) for s, e in zip(rendered.starts, rendered.ends,
                                                      strict=True)
                               if s < cut.end and cut.start < e), (start, end))
        rows.append({"start": start, "end": end, "reason": cut.reason, "length": end - start,
                     "confidence": cut.confidence, "heard": cut.issue.heard if cut.issue else "",
                     "join": rendered(start) if rendered is not None else None})
    return rows


def tag_rows(tags: TagReadback) -> list[tuple[str, str]]:
    """The ID3 frames as read back from the MP3, as (name, value) rows."""
    def text(value: object) -> str:
        if isinstance(value, list | tuple):
            return "; ".join(str(v) for v in value)
        return "" if value is None else str(value)

    rows = [
        ("ID3 version", f"2.{tags.version}" if tags.version else "none"),
        ("title (TIT2)", text(tags.title)),
        ("authors (TPE1)", text(tags.authors)),
        ("narrator", text(tags.narrator)),
        ("podcast (TALB)", text(tags.podcast)),
        ("publisher", text(tags.publisher)),
        ("source URL", text(tags.source_url)),
        ("date", text(tags.date)),
        ("episode", text(tags.episode_number)),
        ("season", text(tags.season)),
        ("language (TLAN)", text(tags.language)),
        ("summary", text(tags.summary)),
        ("chapters (CHAP)", "; ".join(f"{clock(c.start)} {c.title}" for c in tags.chapters)),
        ("transcript (USLT)", f"{len(tags.transcript)} characters" if tags.transcript else ""),
        ("cover (APIC)", f"{tags.cover.mime}, {tags.cover.bytes} bytes" if tags.cover else ""),
    ]
    return [(name, value) for name, value in rows if value]
