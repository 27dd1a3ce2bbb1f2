"""The ID3 frames audio-pipeline owns: one table from episode metadata to frames.

Shared by the writer (``tags``) and the reader (``tag_readback``), with the one place
where mutagen's and the OS's errors become ``TagError``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutagen import MutagenError
from mutagen.id3 import (
    COMM,
    ID3,
    PCST,
    TALB,
    TCOM,
    TCON,
    TDES,
    TDRC,
    TIT2,
    TLAN,
    TPE1,
    TPE2,
    TPOS,
    TPUB,
    TRCK,
    TXXX,
    WOAS,
    WXXX,
    Frame,
)

from audio_pipeline.errors import TagError
from audio_pipeline.types import EpisodeMeta

# Characters kept per frame; longer text is cut with a warning, never an error.
TEXT_LIMIT = 1000
SUMMARY_LIMIT = 4000  # Apple Podcasts' description limit
URL_LIMIT = 2000
CHAPTER_TITLE_LIMIT = 200
TRANSCRIPT_LIMIT = 500_000  # a four-hour reading is about 250,000 characters

URL_DESC = "Original text"
NARRATOR_DESC = "NARRATOR"
COVER_DESC = "Cover"
TOC_ID = "toc"

@dataclass(frozen=True)
class FrameContext:
    encoding: int  # mutagen.id3.Encoding
    lang: str  # ISO 639-2


@dataclass(frozen=True)
class FrameRow:
    """One frame we own: its mutagen hash key, read-back name, value and builder."""

    key: str
    name: str
    value: Callable[[EpisodeMeta], Any]
    limit: int
    build: Callable[[Any, FrameContext], Frame]


def _text(cls: type) -> Callable[[Any, FrameContext], Frame]:
    return lambda v, c: cls(encoding=c.encoding, text=v)


FRAME_TABLE: tuple[FrameRow, ...] = (
    FrameRow("TIT2", "title", lambda m: m.title, TEXT_LIMIT, _text(TIT2)),
    FrameRow("TPE1", "authors", lambda m: list(m.authors), TEXT_LIMIT, _text(TPE1)),
    FrameRow("TCOM", "narrator", lambda m: m.narrator, TEXT_LIMIT, _text(TCOM)),
    FrameRow("TXXX:" + NARRATOR_DESC, "narrator_txxx", lambda m: m.narrator, TEXT_LIMIT,
         lambda v, c: TXXX(encoding=c.encoding, desc=NARRATOR_DESC, text=v)),
    FrameRow("TALB", "podcast", lambda m: m.podcast, TEXT_LIMIT, _text(TALB)),
    FrameRow("TPE2", "album_artist", lambda m: m.podcast or m.publisher, TEXT_LIMIT, _text(TPE2)),
    FrameRow("TPUB", "publisher", lambda m: m.publisher, TEXT_LIMIT, _text(TPUB)),
    FrameRow("WOAS", "source_url", lambda m: m.source_url, URL_LIMIT,
         lambda v, c: WOAS(url=v)),
    FrameRow("WXXX:" + URL_DESC, "source_url_wxxx", lambda m: m.source_url, URL_LIMIT,
         lambda v, c: WXXX(encoding=c.encoding, desc=URL_DESC, url=v)),
    FrameRow("COMM", "summary", lambda m: m.summary, SUMMARY_LIMIT,
         lambda v, c: COMM(encoding=c.encoding, lang=c.lang, desc="", text=v)),
    FrameRow("TDES", "description", lambda m: m.summary, SUMMARY_LIMIT, _text(TDES)),
    FrameRow("TDRC", "date", lambda m: m.date, 10, _text(TDRC)),
    FrameRow("TRCK", "episode_number", lambda m: number_text(m.episode_number), 10, _text(TRCK)),
    FrameRow("TPOS", "season", lambda m: number_text(m.season), 10, _text(TPOS)),
    FrameRow("TCON", "genre", lambda m: "Podcast", 10, _text(TCON)),
    FrameRow("TLAN", "language", lambda m: m.language, 10, lambda v, c: TLAN(
        encoding=c.encoding, text=c.lang)),
    FrameRow("PCST", "podcast_flag", lambda m: True, 1, lambda v, c: PCST(value=1)),
)
# Frames that stand for a row in the other version, removed with it.
ALIASES = {"TDRC": ("TYER", "TDAT", "TIME", "TRDA")}


@contextlib.contextmanager
def translate_errors(path: Path, doing: str = "cannot tag") -> Iterator[None]:
    """The one place where mutagen's and the OS's errors become TagError."""
    try:
        yield
    except TagError:
        raise
    except MutagenError as exc:
        raise TagError(f"{doing}: {exc}", path) from None
    except OSError as exc:
        raise TagError(f"{doing}: {exc.strerror or exc}", path) from None


def owned_frames(tags: ID3, key: str) -> list[Frame]:
    if key == "COMM":
        return [f for f in tags.getall("COMM") if f.desc == ""]
    return tags.getall(key)


def number_text(value: int | None) -> str:
    return "" if value is None else str(value)


def frame_value(frame: Frame) -> Any:
    if hasattr(frame, "url"):
        return frame.url
    if isinstance(frame, PCST):
        return getattr(frame, "value", 0)
    text = [str(t) for t in getattr(frame, "text", [])]
    return text[0] if len(text) == 1 else text
