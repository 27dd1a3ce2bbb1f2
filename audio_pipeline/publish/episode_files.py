"""Every file of one episode's folder but the MP3 and result.json, written into staging.

What ``pipeline.process_episode`` hands over once the audio is encoded and tagged: the
published transcript segments (the article's words where there is an article), the
transcripts and captions, the alignment and pickup list, the show notes, the listener's
page, Podcasting 2.0 files and feed item, and the producer's report.
"""

from __future__ import annotations

import json
from pathlib import Path

from audio_pipeline import fsutil
from audio_pipeline.metadata.config import PodcastConfig
from audio_pipeline.types import (
    Alignment,
    Episode,
    EpisodeResult,
    EpisodeSummary,
    Segment,
    Transcript,
)


def published_segments(transcript: Transcript, alignment: Alignment | None) -> list[Segment]:
    """The article's own words where a source is given; Whisper's words elsewhere."""
    if alignment is None:
        return list(transcript.segments)
    from audio_pipeline.publish.segments import timed_source_segments

    return list(timed_source_segments(alignment, transcript))


def report_html(result: EpisodeResult, summary: EpisodeSummary, segments: list[Segment],
                mp3: Path, verdict: str) -> str:
    from audio_pipeline.metadata.tag_readback import read_tags
    from audio_pipeline.publish.edited import written_edits
    from audio_pipeline.publish.plot import LoudnessCurves
    from audio_pipeline.publish.report import render_report

    edits, edited = written_edits(mp3.parent, result.episode.slug)
    return render_report(
        result.episode.meta,
        summary,
        alignment=result.alignment,
        segments=segments,
        verdict=verdict,
        files=sorted(p.name for p in result.outputs.values()),
        mp3_name=result.outputs["mp3"].name,
        curves=LoudnessCurves.of(result.loudness) if result.loudness else None,
        tags=read_tags(mp3),  # what the file holds, read back, not what was meant
        edits=edits,
        edited=edited,
    )


def plain_text(segments: list[Segment]) -> str:
    return "\n".join(" ".join(s.text.split()) for s in segments if s.text.strip())


def publish_files(
    staging: Path,
    episode: Episode,
    config: PodcastConfig,
    transcript: Transcript,
    alignment: Alignment | None,
    segments: list[Segment],
) -> dict[str, Path]:
    from audio_pipeline.metadata.shownotes import render_shownotes
    from audio_pipeline.publish.listener import write_listener_files
    from audio_pipeline.publish.podcast20 import listing_chapters
    from audio_pipeline.publish.writers import write_transcripts

    slug = episode.slug
    chapters = listing_chapters(alignment.chapters if alignment else (), transcript.duration,
                                episode.meta.title or slug)
    outputs = write_transcripts(
        segments,
        staging,
        slug,
        voice=episode.meta.narrator,
        language=transcript.language,
        model=transcript.model,
        duration=round(transcript.duration, 3),
        source_aligned=alignment is not None,
    )
    if alignment is not None:
        from audio_pipeline.publish.pickups import render_narration_report

        outputs["alignment"] = fsutil.write_text(
            staging / f"{slug}.alignment.json",
            json.dumps(alignment.to_json(), ensure_ascii=False, indent=2) + "\n",
        )
        outputs["narration"] = fsutil.write_text(
            staging / f"{slug}.narration.md",
            render_narration_report(alignment, title=episode.meta.title),
        )
    notes = {fmt: render_shownotes(episode.meta, config, fmt=fmt, chapters=chapters)
             for fmt in ("text", "html")}
    outputs["shownotes_txt"] = fsutil.write_text(staging / f"{slug}.shownotes.txt", notes["text"])
    outputs["shownotes_html"] = fsutil.write_text(
        staging / f"{slug}.shownotes.html", notes["html"])
    outputs.update(write_listener_files(
        staging, episode, config, segments=segments, chapters=chapters,
        duration=transcript.duration, mp3=staging / f"{slug}.mp3",
        shownotes_html=notes["html"], shownotes_text=notes["text"]))
    return outputs
