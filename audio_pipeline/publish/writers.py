"""Transcript writers, one per format, chosen from a table (as whisper's get_writer).

Subtitles follow common accessibility guidance (``cues``): at most two lines of 42
characters, 1 to 7 seconds per cue, cut at sentence or clause boundaries using word times.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from audio_pipeline import fsutil
from audio_pipeline.publish.cues import CUE_CHARS, CUE_SECONDS, LINE_CHARS, Cue, split_cues, wrap
from audio_pipeline.types import ChapterMark, Segment

__all__ = ["CUE_CHARS", "CUE_SECONDS", "LINE_CHARS", "Cue", "split_cues", "render_srt",
           "render_vtt", "render_chapters_vtt", "render_txt", "render_json", "WRITERS",
           "write_transcripts"]



def _timestamp(seconds: float, sep: str) -> str:
    ms = max(0, int(round(seconds * 1000)))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _wrap(text: str) -> str:
    return "\n".join(wrap(text))


def _vtt_escape(text: str) -> str:
    # "-->" inside cue text would end the cue early in a WebVTT parser; a raw "<" starts a
    # tag (an article's "<x>" vanished on screen) and "&" an entity, so both are escaped.
    return text.replace("-->", "->").replace("&", "&amp;").replace("<", "&lt;")


def render_srt(segments: Sequence[Segment]) -> str:
    blocks = []
    for n, cue in enumerate(split_cues(segments), start=1):
        span = f"{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}"
        blocks.append(f"{n}\n{span}\n{_wrap(cue.text)}\n")
    return "\n".join(blocks)


def render_vtt(segments: Sequence[Segment], voice: str = "") -> str:
    """WebVTT captions; ``voice`` (the narrator) opens each cue as ``<v Name>``, which
    players show as the speaker."""
    blocks = ["WEBVTT\n"]
    # the voice annotation ends at ">", so the name cannot hold one
    name = _vtt_escape(" ".join(voice.split())).replace(">", "&gt;")
    tag = f"<v {name}>" if name else ""
    for cue in split_cues(segments):
        span = f"{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}"
        blocks.append(f"{span}\n{tag}{_vtt_escape(_wrap(cue.text))}\n")
    return "\n".join(blocks)


def render_chapters_vtt(chapters: Sequence[ChapterMark]) -> str:
    """A WebVTT chapters track (``<track kind="chapters">``): one cue per chapter."""
    blocks = ["WEBVTT\n"]
    for n, ch in enumerate(chapters, start=1):
        span = f"{_timestamp(ch.start, '.')} --> {_timestamp(ch.end, '.')}"
        blocks.append(f"chapter-{n}\n{span}\n{_vtt_escape(' '.join(ch.title.split()))}\n")
    return "\n".join(blocks)


def render_txt(segments: Sequence[Segment]) -> str:
    lines = [" ".join(seg.text.split()) for seg in segments]
    return "\n".join(line for line in lines if line) + "\n"


def transcript_document(segments: Sequence[Segment], **info: Any) -> dict[str, Any]:
    """The `<slug>.json` document: info (language, model, ...) then segments with words."""
    return {
        **info,
        "segments": [
            {
                "id": seg.id,
                "start": round(seg.start, 3),
                "end": round(seg.end, 3),
                "text": seg.text.strip(),
                "words": [
                    {
                        "text": w.text,
                        "start": round(w.start, 3),
                        "end": round(w.end, 3),
                        "probability": round(w.probability, 4),
                    }
                    for w in seg.words
                ],
            }
            for seg in segments
        ],
    }


def render_json(segments: Sequence[Segment], **info: Any) -> str:
    return json.dumps(transcript_document(segments, **info), ensure_ascii=False, indent=2) + "\n"


Renderer = Callable[..., str]

WRITERS: dict[str, Renderer] = {
    "srt": lambda segments, **info: render_srt(segments),
    "vtt": lambda segments, voice="", **info: render_vtt(segments, voice),
    "txt": lambda segments, **info: render_txt(segments),
    "json": render_json,
}


def write_transcripts(
    segments: Sequence[Segment],
    out_dir: Path,
    slug: str,
    formats: Sequence[str] = tuple(WRITERS),
    voice: str = "",
    **info: Any,
) -> dict[str, Path]:
    """Write each requested format atomically; returns format -> path. ``voice`` names
    the speaker in the WebVTT cues; ``info`` heads the JSON document."""
    written: dict[str, Path] = {}
    for fmt in formats:
        render = WRITERS[fmt]
        extra = {"voice": voice} if fmt == "vtt" else {}
        written[fmt] = fsutil.write_text(out_dir / f"{slug}.{fmt}",
                                         render(segments, **extra, **info))
    return written
