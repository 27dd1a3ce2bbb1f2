"""Podcasting 2.0 files: the JSON transcript and JSON Chapters 1.2, and the chapter list
they, the WebVTT chapters track and the show notes share.

Podcast apps read ``<podcast:transcript type="application/json">`` as
``{"version": "1.0.0", "segments": [{speaker, startTime, endTime, body}]}`` (one segment
per word lets an app highlight word by word) and ``<podcast:chapters>`` as
``{"version": "1.2.0", "chapters": [{startTime, title, endTime?, url?}]}`` sorted by time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from audio_pipeline.types import ChapterMark, Segment

TRANSCRIPT_VERSION = "1.0.0"
CHAPTERS_VERSION = "1.2.0"
CHAPTERS_MIME = "application/json+chapters"
INTRO_TITLE = "Introduction"
# A first heading read within this many seconds of the start opens the episode itself;
# later, what comes before it (an intro) gets its own "Introduction" chapter.
_OPENING_SLACK = 5.0


def listing_chapters(
    chapters: Sequence[ChapterMark], duration: float, title: str
) -> tuple[ChapterMark, ...]:
    """Chapters as apps want them: sorted, the first at 0:00, each ending where the next
    starts and the last at the end. No chapters at all gives one: the episode's title."""
    duration = max(duration, 0.0)
    marks = sorted((c for c in chapters if c.title.strip()), key=lambda c: c.start)
    if not marks:
        return (ChapterMark(title, 0.0, duration),)
    if marks[0].start > _OPENING_SLACK:
        marks.insert(0, ChapterMark(INTRO_TITLE, 0.0, marks[0].start))
    starts = [0.0] + [m.start for m in marks[1:]]
    out = []
    for k, (mark, start) in enumerate(zip(marks, starts, strict=True)):
        end = starts[k + 1] if k + 1 < len(starts) else max(duration, start)
        out.append(ChapterMark(" ".join(mark.title.split()), round(start, 3), round(end, 3)))
    return tuple(out)


def transcript_document(segments: Sequence[Segment], speaker: str) -> dict[str, Any]:
    """The Podcasting 2.0 JSON transcript: a segment per word where word times are known,
    else one per segment."""
    rows: list[dict[str, Any]] = []
    for seg in segments:
        words = [w for w in seg.words if w.text.strip()]
        spans = ([(w.start, w.end, w.text.strip()) for w in words] if words
                 else [(seg.start, seg.end, " ".join(seg.text.split()))])
        for start, end, body in spans:
            if not body:
                continue
            row: dict[str, Any] = {"startTime": round(start, 3),
                                   "endTime": round(max(end, start), 3), "body": body}
            if speaker:
                row = {"speaker": speaker, **row}
            rows.append(row)
    rows.sort(key=lambda r: (r["startTime"], r["endTime"]))
    return {"version": TRANSCRIPT_VERSION, "segments": rows}


def chapters_document(chapters: Sequence[ChapterMark], source_url: str = "") -> dict[str, Any]:
    """JSON Chapters 1.2; the first chapter links to the article that is read."""
    rows: list[dict[str, Any]] = []
    for k, ch in enumerate(sorted(chapters, key=lambda c: c.start)):
        row: dict[str, Any] = {"startTime": round(ch.start, 3), "title": ch.title,
                               "endTime": round(ch.end, 3)}
        if k == 0 and source_url:
            row["url"] = source_url
        rows.append(row)
    return {"version": CHAPTERS_VERSION, "chapters": rows}


def render_transcript_json(segments: Sequence[Segment], speaker: str) -> str:
    return json.dumps(transcript_document(segments, speaker), ensure_ascii=False, indent=2) + "\n"


def render_chapters_json(chapters: Sequence[ChapterMark], source_url: str = "") -> str:
    doc = chapters_document(chapters, source_url)
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
