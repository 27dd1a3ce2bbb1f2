"""Reading back what ``write_tags`` wrote: every owned frame as a typed value.

``inspect`` prints it (``to_json``), ``tag`` keeps the file's own values from it, and the
tests check a written file against the episode through it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mutagen.id3 import ID3, ID3NoHeaderError, PictureType

from audio_pipeline.errors import TagError
from audio_pipeline.metadata.id3_frames import (
    FRAME_TABLE,
    frame_value,
    owned_frames,
    translate_errors,
)


@dataclass(frozen=True)
class ChapterTag:
    id: str
    start: float  # seconds
    end: float
    title: str


@dataclass(frozen=True)
class CoverTag:
    mime: str
    bytes: int
    desc: str


@dataclass(frozen=True)
class TagReadback:
    """The frames of one MP3. Text frames holding several values read as a list."""

    version: int | None  # ID3v2 minor version (3 or 4); None: no ID3 tag at all
    title: Any = None
    authors: tuple[str, ...] = ()
    narrator: Any = None
    narrator_txxx: Any = None
    podcast: Any = None
    album_artist: Any = None
    publisher: Any = None
    source_url: Any = None
    source_url_wxxx: Any = None
    summary: Any = None
    description: Any = None
    date: Any = None
    episode_number: int | None = None
    season: int | None = None
    genre: Any = None
    language: Any = None  # ISO 639-2, as TLAN holds it
    podcast_flag: bool = False
    length_ms: int | None = None
    transcript: str | None = None
    transcript_lang: str | None = None
    summary_lang: str | None = None
    cover: CoverTag | None = None
    chapters: tuple[ChapterTag, ...] = ()
    toc: tuple[str, ...] = ()
    other_frames: tuple[str, ...] = ()  # frames of other tools, kept on re-tagging

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        for key in ("authors", "toc", "other_frames"):
            doc[key] = list(doc[key])
        doc["chapters"] = [dict(c) for c in doc["chapters"]]
        return doc


def read_tags(mp3: Path) -> TagReadback:
    """Every frame ``write_tags`` writes, plus the names of the frames it does not own."""
    mp3 = Path(mp3)
    if not mp3.is_file():  # else mutagen's "[Errno 2] ..." read as "cannot tag" under inspect
        raise TagError("file not found" if not mp3.exists() else "not a file", mp3)
    with translate_errors(mp3, "cannot read the tags"):
        try:
            tags = ID3(mp3, translate=False)  # report what the file holds, not an upgrade
        except ID3NoHeaderError:
            return TagReadback(version=None)
    version = tags.version[1]
    values: dict[str, Any] = {}
    for row in FRAME_TABLE:
        frames = owned_frames(tags, row.key)
        values[row.name] = frame_value(frames[0]) if frames else None
    authors = values.pop("authors")
    if isinstance(authors, str):
        authors = [authors]
    if version == 3 and authors and len(authors) == 1:
        authors = authors[0].split("/")
    if version == 3 and values["date"] is None and "TYER" in tags:
        values["date"] = _v23_date(tags)
    for key in ("episode_number", "season"):
        values[key] = int(str(values[key]).split("/")[0]) if values[key] else None
    values["podcast_flag"] = bool(values["podcast_flag"])
    tlen = tags.getall("TLEN")
    uslt = [f for f in tags.getall("USLT") if f.desc == ""]
    covers = [f for f in tags.getall("APIC") if f.type == PictureType.COVER_FRONT]
    tocs = tags.getall("CTOC")
    ours = {row.key for row in FRAME_TABLE} | {"TLEN", "TYER", "TDAT", "TIME"}
    return TagReadback(
        version=version,
        authors=tuple(authors or ()),
        length_ms=int(str(tlen[0].text[0])) if tlen and tlen[0].text else None,
        transcript=uslt[0].text if uslt else None,
        transcript_lang=uslt[0].lang if uslt else None,
        summary_lang=next((f.lang for f in tags.getall("COMM") if f.desc == ""), None),
        cover=CoverTag(covers[0].mime, len(covers[0].data), covers[0].desc) if covers else None,
        chapters=tuple(
            ChapterTag(f.element_id, f.start_time / 1000.0, f.end_time / 1000.0,
                       frame_value(f.sub_frames["TIT2"]) if "TIT2" in f.sub_frames else "")
            for f in sorted(tags.getall("CHAP"), key=lambda f: (f.start_time, f.element_id))
        ),
        toc=tuple(tocs[0].child_element_ids) if tocs else (),
        other_frames=tuple(sorted(
            k for k, f in tags.items()
            if k not in ours and f.FrameID not in ("CHAP", "CTOC")
            and not k.startswith(("COMM::", "USLT::"))  # ours: no description
            and not (f.FrameID == "APIC" and f.type == PictureType.COVER_FRONT)
        )),
        **values,
    )


def _v23_date(tags: ID3) -> str:
    year = str(tags["TYER"].text[0])
    tdat = str(tags["TDAT"].text[0]) if "TDAT" in tags and tags["TDAT"].text else ""
    if len(tdat) == 4 and tdat.isdigit():
        return f"{year}-{tdat[2:]}-{tdat[:2]}"
    return year
