"""Transcript writers, one per format, chosen from a table (as whisper's get_writer).

Subtitles follow common accessibility guidance: at most two lines of about 42
characters and about 7 seconds per cue, split at word boundaries using word times.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audio_pipeline import fsutil
from audio_pipeline.types import Segment, Word

LINE_CHARS = 42
CUE_CHARS = 2 * LINE_CHARS
CUE_SECONDS = 7.0
CLAUSE_ENDS = (".", ",", ";", ":", "?", "!", "—")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def split_cues(segments: Sequence[Segment]) -> list[Cue]:
    """Break segments into subtitle-sized cues, never overlapping and never zero-length."""
    cues: list[Cue] = []
    for seg in segments:
        text = " ".join(seg.text.split())
        if not text:
            continue
        fits = _fits(text) and seg.end - seg.start <= CUE_SECONDS
        if fits or not seg.words:
            cues.append(Cue(seg.start, seg.end, text))
            continue
        cues.extend(_split_words(seg.words))
    return _tidy(cues)


def _split_words(words: Sequence[Word]) -> list[Cue]:
    """Greedy cues, but a full cue breaks after its last clause-ending word when that is
    past its first third, so a cue rarely ends mid-phrase or starts with a lone word."""
    cues: list[Cue] = []
    chunk: list[Word] = []
    for word in words:
        candidate = " ".join(w.text for w in [*chunk, word])
        too_long = not _fits(candidate) or (chunk and word.end - chunk[0].start > CUE_SECONDS)
        if chunk and too_long:
            cut = _clause_break(chunk)
            cues.append(_cue(chunk[:cut]))
            chunk = chunk[cut:]
        chunk.append(word)
    if chunk:
        cues.append(_cue(chunk))
    return cues


def _clause_break(chunk: list[Word]) -> int:
    for i in range(len(chunk) - 1, len(chunk) // 3 - 1, -1):
        if chunk[i].text.rstrip("\"'”’)]").endswith(CLAUSE_ENDS):
            return i + 1
    return len(chunk)


def _cue(words: Sequence[Word]) -> Cue:
    return Cue(words[0].start, words[-1].end, " ".join(w.text for w in words))


def _tidy(cues: list[Cue]) -> list[Cue]:
    """Players reject overlapping or empty cues: clip each to start after the previous."""
    tidy: list[Cue] = []
    last_end = 0.0
    for cue in sorted(cues, key=lambda c: c.start):
        start = max(cue.start, last_end)
        end = max(cue.end, start + 0.05)
        tidy.append(Cue(start, end, cue.text))
        last_end = end
    return tidy


def _timestamp(seconds: float, sep: str) -> str:
    ms = max(0, int(round(seconds * 1000)))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(text, LINE_CHARS, break_long_words=False)) or text


def _fits(text: str) -> bool:
    return len(textwrap.wrap(text, LINE_CHARS, break_long_words=False)) <= 2


def render_srt(segments: Sequence[Segment]) -> str:
    blocks = []
    for n, cue in enumerate(split_cues(segments), start=1):
        span = f"{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}"
        blocks.append(f"{n}\n{span}\n{_wrap(cue.text)}\n")
    return "\n".join(blocks)


def render_vtt(segments: Sequence[Segment]) -> str:
    blocks = ["WEBVTT\n"]
    for cue in split_cues(segments):
        span = f"{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}"
        # "-->" inside cue text would end the cue early in a WebVTT parser; a raw "<" starts a
        # tag (an article's "<x>" vanished on screen) and "&" an entity, so both are escaped.
        text = _wrap(cue.text.replace("-->", "->"))
        text = text.replace("&", "&amp;").replace("<", "&lt;")
        blocks.append(f"{span}\n{text}\n")
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
    "vtt": lambda segments, **info: render_vtt(segments),
    "txt": lambda segments, **info: render_txt(segments),
    "json": render_json,
}


def write_transcripts(
    segments: Sequence[Segment],
    out_dir: Path,
    slug: str,
    formats: Sequence[str] = tuple(WRITERS),
    **info: Any,
) -> dict[str, Path]:
    """Write each requested format atomically; returns format -> path."""
    written: dict[str, Path] = {}
    for fmt in formats:
        render = WRITERS[fmt]
        written[fmt] = fsutil.write_text(out_dir / f"{slug}.{fmt}", render(segments, **info))
    return written
