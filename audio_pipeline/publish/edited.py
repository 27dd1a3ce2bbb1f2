"""The edit list's files, and the edited episode with its captions and chapters moved.

With an article, every run writes `<slug>.edits.json` and the Audacity label track
`<slug>.edits.txt` (cheap: no audio is touched). Rendering (``--edit``, ``edit = true``)
adds `<slug>.edited.mp3`, tagged like the episode, and the same writers' captions,
transcripts and chapters under `<slug>.edited.*`, their times mapped through the cuts as
rendered. ``rerender_folder`` does the rendering again from a finished episode folder and
a hand-changed edit list, without transcribing (``audio-pipeline render``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from audio_pipeline import fsutil
from audio_pipeline.edit.decide import plan_edits
from audio_pipeline.edit.labels import render_labels
from audio_pipeline.edit.timemap import TimeMap, map_chapters, map_segments
from audio_pipeline.edit.types import EditList, read_edits
from audio_pipeline.errors import EditError
from audio_pipeline.metadata.config import PodcastConfig
from audio_pipeline.types import (
    Alignment,
    ChapterMark,
    Episode,
    EpisodeMeta,
    LoudnessReport,
    Segment,
    Transcript,
    Word,
)

EDITS_SUFFIX = ".edits.json"


def meta_to_json(meta: EpisodeMeta) -> dict[str, Any]:
    doc = asdict(meta)
    doc["cover"] = str(meta.cover) if meta.cover is not None else None
    doc["authors"] = list(meta.authors)
    return doc


def meta_from_json(doc: dict[str, Any] | None) -> EpisodeMeta:
    names = {f.name for f in fields(EpisodeMeta)}
    values = {k: v for k, v in (doc or {}).items() if k in names}
    values["authors"] = tuple(values.get("authors") or ())
    values["cover"] = Path(values["cover"]) if values.get("cover") else None
    try:
        return EpisodeMeta(**values)
    except TypeError as exc:
        raise EditError(f"edit list: bad 'episode' table: {exc}") from None


def edit_files(staging: Path, episode: Episode, config: PodcastConfig, recording: Path,
               alignment: Alignment, segments: list[Segment], transcript: Transcript,
               ) -> tuple[dict[str, Path], LoudnessReport | None]:
    """The edit list's files, and with ``config.edit`` the edited episode's."""
    edits = plan_edits(
        alignment.issues, transcript.duration, pause=config.edit_pause,
        inserted=config.edit_inserted, recording=str(Path(recording).resolve()),
        meta=meta_to_json(episode.meta),
        info={"language": transcript.language, "model": transcript.model})
    slug = episode.slug
    out = {"edits": fsutil.write_text(
               staging / f"{slug}{EDITS_SUFFIX}",
               json.dumps(edits.to_json(), ensure_ascii=False, indent=2) + "\n"),
           "edits_labels": fsutil.write_text(staging / f"{slug}.edits.txt",
                                             render_labels(edits))}
    if not config.edit:
        return out, None
    rendered, report = render_files(staging, slug, episode.meta, config, Path(recording), edits,
                                    segments, alignment.chapters)
    out.update(rendered)
    return out, report


def render_files(folder: Path, slug: str, meta: EpisodeMeta, config: PodcastConfig,
                 recording: Path, edits: EditList, segments: list[Segment],
                 chapters: tuple[ChapterMark, ...] | list[ChapterMark],
                 ) -> tuple[dict[str, Path], LoudnessReport]:
    """`<slug>.edited.mp3` and its captions, transcripts and chapters, into ``folder``."""
    from audio_pipeline.edit.render import render_edited
    from audio_pipeline.metadata.tags import write_tags
    from audio_pipeline.publish.podcast20 import (
        listing_chapters,
        render_chapters_json,
        render_transcript_json,
    )
    from audio_pipeline.publish.writers import (
        render_chapters_vtt,
        render_txt,
        write_transcripts,
    )

    name = f"{slug}.edited"
    mp3 = folder / f"{name}.mp3"
    report, spans, duration = render_edited(recording, edits, mp3, config)
    tmap = TimeMap.of(spans)
    moved = map_segments(segments, tmap)
    marks = map_chapters(chapters, tmap)
    write_tags(mp3, meta, chapters=marks, transcript_text=render_txt(moved).rstrip("\n"),
               version=config.id3_version, duration=duration)
    info = dict(edits.info or {})
    outputs = write_transcripts(
        moved, folder, name, voice=meta.narrator, language=info.get("language", meta.language),
        model=info.get("model", ""), duration=round(duration, 3), source_aligned=True,
        edits={"removed": round(tmap.removed, 3),
               "cuts": [[round(s, 4), round(e, 4)] for s, e in spans]})
    outputs = {f"edited_{kind}": path for kind, path in outputs.items()}
    listing = listing_chapters(marks, duration, meta.title or slug)
    outputs["edited_mp3"] = mp3
    outputs["edited_chapters_vtt"] = fsutil.write_text(folder / f"{name}.chapters.vtt",
                                                       render_chapters_vtt(listing))
    outputs["edited_transcript_json"] = fsutil.write_text(
        folder / f"{name}.transcript.json", render_transcript_json(moved, meta.narrator))
    outputs["edited_chapters_json"] = fsutil.write_text(
        folder / f"{name}.chapters.json", render_chapters_json(listing, meta.source_url))
    return outputs, report


def _segments_from(path: Path) -> list[Segment]:
    """The published segments back from `<slug>.json` (the article's words, timed)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return [Segment(int(s["id"]), float(s["start"]), float(s["end"]), str(s["text"]),
                        tuple(Word(str(w["text"]), float(w["start"]), float(w["end"]),
                                   float(w.get("probability", 1.0))) for w in s["words"]))
                for s in doc["segments"]]
    except FileNotFoundError:
        raise EditError("transcript not found (run `process` first)", path) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EditError(f"unreadable transcript: {exc}", path) from None


def _chapters_from(path: Path) -> list[ChapterMark]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return [ChapterMark(str(c["title"]), float(c["start"]), float(c["end"]))
                for c in doc["chapters"]]
    except FileNotFoundError:
        raise EditError("alignment not found (the episode was processed without --source)",
                        path) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EditError(f"unreadable alignment: {exc}", path) from None


def rerender_folder(folder: Path, config: PodcastConfig) -> tuple[dict[str, Path], EditList]:
    """Render the edited episode again from ``folder``'s (hand-changed) edit list."""
    folder = Path(folder)
    if not folder.is_dir():
        raise EditError("not an episode folder", folder)
    found = sorted(folder.glob(f"*{EDITS_SUFFIX}"))
    if len(found) != 1:
        raise EditError(f"expected one *{EDITS_SUFFIX} in the episode folder, found "
                        f"{len(found)}", folder)
    edits = read_edits(found[0])
    slug = found[0].name[: -len(EDITS_SUFFIX)]
    recording = Path(edits.recording)
    if not edits.recording or not recording.is_file():
        raise EditError(f"the recording {edits.recording!r} named in the edit list is not "
                        "there", found[0])
    segments = _segments_from(folder / f"{slug}.json")
    chapters = _chapters_from(folder / f"{slug}.alignment.json")
    outputs, _ = render_files(folder, slug, meta_from_json(edits.meta), config, recording, edits,
                              segments, chapters)
    return outputs, edits


def written_edits(folder: Path, slug: str) -> tuple[EditList | None, tuple[str, TimeMap] | None]:
    """The edit list in ``folder`` and, when rendered, the edited MP3's name and the time
    map of its cuts as rendered (for the report)."""
    path = folder / f"{slug}{EDITS_SUFFIX}"
    if not path.is_file():
        return None, None
    edits = read_edits(path)
    doc_path, mp3 = folder / f"{slug}.edited.json", folder / f"{slug}.edited.mp3"
    if not (doc_path.is_file() and mp3.is_file()):
        return edits, None
    try:
        cuts = json.loads(doc_path.read_text(encoding="utf-8"))["edits"]["cuts"]
        return edits, (mp3.name, TimeMap.of((float(s), float(e)) for s, e in cuts))
    except (OSError, ValueError, KeyError, TypeError):
        return edits, None
