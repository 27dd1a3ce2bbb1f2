"""What podcast apps and listeners take from an episode folder, besides the MP3 and the
captions: the WebVTT chapters track, the Podcasting 2.0 transcript and chapters, the
transcript page and the episode's feed item.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from audio_pipeline import fsutil
from audio_pipeline.metadata.config import PodcastConfig
from audio_pipeline.publish.feed import episode_item, render_feed
from audio_pipeline.publish.page import render_page
from audio_pipeline.publish.podcast20 import render_chapters_json, render_transcript_json
from audio_pipeline.publish.writers import render_chapters_vtt
from audio_pipeline.types import ChapterMark, Episode, Segment


def write_listener_files(
    staging: Path,
    episode: Episode,
    config: PodcastConfig,
    *,
    segments: Sequence[Segment],
    chapters: Sequence[ChapterMark],
    duration: float,
    mp3: Path,
    shownotes_html: str,
    shownotes_text: str,
) -> dict[str, Path]:
    """Write the files into ``staging`` (atomically each); returns kind -> path.

    ``chapters`` are the listing chapters (``podcast20.listing_chapters``): the first at
    0:00. ``mp3`` must be final (tagged): the feed gives its size in bytes.
    """
    slug, meta = episode.slug, episode.meta
    language = meta.language or config.language
    out: dict[str, Path] = {}

    def write(kind: str, suffix: str, text: str) -> None:
        out[kind] = fsutil.write_text(staging / f"{slug}{suffix}", text)

    write("chapters_vtt", ".chapters.vtt", render_chapters_vtt(chapters))
    write("transcript_json", ".transcript.json", render_transcript_json(segments, meta.narrator))
    write("chapters_json", ".chapters.json", render_chapters_json(chapters, meta.source_url))
    files = {"captions": f"{slug}.vtt", "chapters": f"{slug}.chapters.vtt",
             "subtitles (SRT)": f"{slug}.srt", "text": f"{slug}.txt",
             "JSON transcript": f"{slug}.transcript.json"}
    write("html", ".html", render_page(meta, slug=slug, segments=segments, chapters=chapters,
                                       mp3_name=mp3.name, language=language, files=files))
    item = episode_item(episode, config, duration=duration, mp3_bytes=mp3.stat().st_size,
                        shownotes_html=shownotes_html, shownotes_text=shownotes_text)
    write("feed", ".xml", render_feed(config, [item]))
    return out
