"""ID3 tags via mutagen: one table from episode metadata to frames, chapters, read-back.

``write_tags`` owns the frames in ``FRAME_TABLE`` plus the front cover (APIC type 3), the
transcript (USLT without description), chapters (CHAP, CTOC) and the v2.3 date frames.
Re-tagging removes those frames and writes them again; every other frame (an encoder's
TSSE, a TXXX:OTHER) is kept. ID3v2.4 is written as UTF-8; ID3v2.3 as UTF-16 with TYER /
TDAT instead of TDRC and multiple values joined with "/".

mutagen orders frames by size when saving (quodlibet/mutagen#506), which puts chapters
out of time order, and readers such as ffprobe list CHAP frames in file order. After
saving, the CTOC and CHAP frames are regrouped in time order (``id3order.order_chapter_frames``);
element ids ("chp000", "chp001"...) sort in time order too.

The file is tagged as a copy in the same folder that then replaces the original, so an
interrupted run never leaves a half-written MP3. Mutagen errors become ``TagError`` in
one place (``translate_errors``).
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mutagen.id3 import (
    APIC,
    CHAP,
    CTOC,
    ID3,
    TIT2,
    TLEN,
    USLT,
    CTOCFlags,
    Encoding,
    ID3NoHeaderError,
    PictureType,
)
from mutagen.mp3 import MP3

from audio_pipeline import fsutil
from audio_pipeline.errors import TagError
from audio_pipeline.metadata.chapter_frames import order_chapter_frames
from audio_pipeline.metadata.cover import image_mime, image_problem
from audio_pipeline.metadata.id3_frames import (
    ALIASES,
    CHAPTER_TITLE_LIMIT,
    COVER_DESC,
    FRAME_TABLE,
    TOC_ID,
    TRANSCRIPT_LIMIT,
    FrameContext,
    translate_errors,
)
from audio_pipeline.metadata.tag_readback import read_tags
from audio_pipeline.types import ChapterMark, EpisodeMeta

# ISO 639-1 -> ISO 639-2 (terminology codes) for TLAN, COMM and USLT.
_ISO639_2 = {
    "af": "afr", "ar": "ara", "bg": "bul", "bn": "ben", "ca": "cat", "cs": "ces",
    "cy": "cym", "da": "dan", "de": "deu", "el": "ell", "en": "eng", "es": "spa",
    "et": "est", "eu": "eus", "fa": "fas", "fi": "fin", "fr": "fra", "ga": "gle",
    "gl": "glg", "he": "heb", "hi": "hin", "hr": "hrv", "hu": "hun", "id": "ind",
    "is": "isl", "it": "ita", "ja": "jpn", "ko": "kor", "lt": "lit", "lv": "lav",
    "ms": "msa", "nb": "nob", "nl": "nld", "nn": "nno", "no": "nor", "pl": "pol",
    "pt": "por", "ro": "ron", "ru": "rus", "sk": "slk", "sl": "slv", "sr": "srp",
    "sv": "swe", "sw": "swa", "ta": "tam", "th": "tha", "tr": "tur", "uk": "ukr",
    "ur": "urd", "vi": "vie", "zh": "zho",
}


def write_tags(
    mp3: Path,
    meta: EpisodeMeta,
    *,
    chapters: Sequence[ChapterMark] = (),
    transcript_text: str = "",
    version: int = 4,
    duration: float | None = None,
) -> list[str]:
    """Tag ``mp3`` in place (atomically); return warnings (text cut, chapters dropped)."""
    mp3 = Path(mp3)
    if version not in (3, 4):
        raise TagError(f"ID3 version must be 3 or 4, not {version}", mp3)
    cover_data: tuple[bytes, str] | None = None
    if meta.cover is not None:
        problem = image_problem(Path(meta.cover))
        if problem:
            raise TagError(problem, meta.cover)
        data = Path(meta.cover).read_bytes()
        cover_data = (data, image_mime(data[:8]) or "image/jpeg")

    warnings: list[str] = []
    with translate_errors(mp3):
        if not mp3.is_file():
            raise TagError("MP3 file not found", mp3)
        info = MP3(mp3).info  # also rejects files that are not MPEG audio
        audio_length = float(getattr(info, "length", 0.0) or 0.0)
        length = duration if duration is not None else audio_length
        # Tag a copy and rename it over the original: never a half-written MP3.
        with fsutil.atomic_path(mp3, suffix=".mp3.tmp") as tmp:
            shutil.copyfile(mp3, tmp)
            try:
                tags = ID3(tmp)
            except ID3NoHeaderError:
                tags = ID3()
            _remove_ours(tags)
            lang, lang_warning = _iso639_2(meta.language)
            if lang_warning:
                warnings.append(lang_warning)
            ctx = FrameContext(Encoding.UTF8 if version == 4 else Encoding.UTF16, lang)
            for row in FRAME_TABLE:
                value = row.value(meta)
                if row.key == "TLAN" and lang == "XXX":
                    continue
                if value in ("", [], None):
                    continue
                value = _cut(value, row.limit, row.key, warnings)
                tags.add(row.build(value, ctx))
            if length:
                tags.add(TLEN(encoding=ctx.encoding, text=str(int(round(length * 1000)))))
            if transcript_text.strip():
                text = _cut(transcript_text, TRANSCRIPT_LIMIT, "USLT", warnings)
                tags.add(USLT(encoding=ctx.encoding, lang=lang, desc="", text=text))
            if cover_data is not None:
                tags.add(APIC(encoding=ctx.encoding, mime=cover_data[1],
                              type=PictureType.COVER_FRONT, desc=COVER_DESC, data=cover_data[0]))
            _add_chapters(tags, chapters, length, ctx, warnings)
            if version == 3:
                tags.update_to_v23()
            tags.save(tmp, v2_version=version, v23_sep="/")
            order_chapter_frames(tmp)
    return warnings


# What `tag` keeps from the file when a flag does not give it.
KEPT_ON_RETAG = ("title", "authors", "narrator", "source_url", "summary", "episode_number",
                 "season", "date")


def current_fields(mp3: Path) -> dict[str, Any]:
    """The file's own values of ``KEPT_ON_RETAG``, as ``build_episode`` keywords."""
    current = read_tags(mp3).to_json()
    return {k: current[k] for k in KEPT_ON_RETAG if current.get(k) not in (None, [], "")}


def retag(mp3: Path, meta: EpisodeMeta, *, version: int = 4) -> list[str]:
    """Tag again an MP3 that `process` made: its chapters and transcript (which only
    `process` knows) are kept, and its front cover too when ``meta`` names none."""
    current = read_tags(mp3)
    chapters = [ChapterMark(c.title, c.start, c.end) for c in current.chapters]
    warnings: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        if meta.cover is None and current.cover is not None:
            with translate_errors(mp3, "cannot read the tags"):
                frames = ID3(mp3).getall("APIC")
            data = next((f.data for f in frames if f.type == PictureType.COVER_FRONT), None)
            if data is not None:
                kept_cover = Path(scratch) / "cover"
                kept_cover.write_bytes(data)
                if image_problem(kept_cover) is None:
                    meta = dataclasses.replace(meta, cover=kept_cover)
                else:  # a GIF or oversized cover cannot be written back
                    warnings.append("the file's cover is neither JPEG nor PNG under 2 MiB: dropped")
        warnings += write_tags(mp3, meta, version=version, chapters=chapters,
                               transcript_text=current.transcript or "")
    return warnings


# --------------------------------------------------------------------------- helpers


def _remove_ours(tags: ID3) -> None:
    for row in FRAME_TABLE:
        if row.key == "COMM":
            tags.setall("COMM", [f for f in tags.getall("COMM") if f.desc != ""])
        else:
            tags.delall(row.key)
        for alias in ALIASES.get(row.key, ()):
            tags.delall(alias)
    tags.delall("TLEN")
    tags.setall("USLT", [f for f in tags.getall("USLT") if f.desc != ""])
    tags.setall("APIC", [f for f in tags.getall("APIC") if f.type != PictureType.COVER_FRONT])
    tags.delall("CHAP")
    tags.delall("CTOC")


def _add_chapters(
    tags: ID3, chapters: Sequence[ChapterMark], length: float, ctx: FrameContext,
    warnings: list[str],
) -> None:
    marks = sorted(chapters, key=lambda c: c.start)
    kept: list[tuple[str, int, int]] = []
    for i, mark in enumerate(marks):
        start = max(0.0, mark.start)
        end = mark.end if i + 1 >= len(marks) else min(mark.end, marks[i + 1].start)
        if length:
            end = min(end, length)
        if length and start >= length:
            warnings.append(f"chapter {mark.title!r} starts at {start:.1f}s, after the end "
                            f"of the audio ({length:.1f}s): left out")
            continue
        if end <= start:
            warnings.append(f"chapter {mark.title!r} has no duration ({start:.2f}s): left out")
            continue
        title = _cut(mark.title, CHAPTER_TITLE_LIMIT, f"chapter {len(kept)} title", warnings)
        kept.append((title, int(round(start * 1000)), int(round(end * 1000))))
    if not kept:
        return
    width = max(3, len(str(len(kept) - 1)))
    ids = [f"chp{i:0{width}d}" for i in range(len(kept))]
    for cid, (title, start_ms, end_ms) in zip(ids, kept, strict=True):
        tags.add(CHAP(element_id=cid, start_time=start_ms, end_time=end_ms,
                      start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                      sub_frames=[TIT2(encoding=ctx.encoding, text=title)]))
    tags.add(CTOC(element_id=TOC_ID, flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                  child_element_ids=ids,
                  sub_frames=[TIT2(encoding=ctx.encoding, text="Chapters")]))


def _cut(value: Any, limit: int, what: str, warnings: list[str]) -> Any:
    if isinstance(value, list):
        return [_cut(v, limit, what, warnings) for v in value]
    if not isinstance(value, str):
        return value
    value = value.replace("\x00", "")  # NUL separates values in ID3 text frames
    if len(value) <= limit:
        return value
    warnings.append(f"{what}: text cut from {len(value)} to {limit} characters")
    return value[: limit - 1].rstrip() + "…"


def _iso639_2(language: str) -> tuple[str, str | None]:
    base = (language or "").split("-")[0].lower()
    if len(base) == 3 and base.isalpha():
        return base, None
    if base in _ISO639_2:
        return _ISO639_2[base], None
    return "XXX", f"language {language!r} has no ISO 639-2 code here: TLAN left out"
