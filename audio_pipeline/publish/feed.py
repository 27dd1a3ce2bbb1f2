"""The RSS 2.0 feed: ``<slug>.xml`` (one item) per episode, ``feed.xml`` for a batch.

Built with feedgen and its podcast (``itunes:``) extension; the Podcasting 2.0 tags
(``podcast:transcript``, ``podcast:chapters``) come from a feedgen extension registered
here, so no XML is written by hand. Links are ``feed_base_url`` + ``<slug>/<file>``: the
layout of an output folder served as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from audio_pipeline.metadata.config import PodcastConfig
from audio_pipeline.publish.podcast20 import CHAPTERS_MIME
from audio_pipeline.types import Episode

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
GENERATOR = "audio-pipeline"


@dataclass(frozen=True)
class TranscriptLink:
    url: str
    type: str  # MIME type: text/vtt, application/json, text/html, ...
    language: str
    rel: str = ""  # "captions" for timed captions


@dataclass(frozen=True)
class FeedItem:
    """Everything the feed says about one episode."""

    slug: str
    title: str
    description_html: str  # the HTML show notes
    summary_text: str  # the plain-text show notes (itunes:summary)
    author: str
    mp3_url: str
    mp3_bytes: int
    duration: float
    language: str
    explicit: bool
    transcripts: tuple[TranscriptLink, ...]
    chapters_url: str
    link: str = ""  # the article
    published: datetime | None = None
    episode_number: int | None = None
    season: int | None = None


def file_url(config: PodcastConfig, slug: str, name: str) -> str:
    """Where a file of an episode folder is served (relative when no base is set)."""
    path = f"{quote(slug)}/{quote(name)}"
    base = config.feed_base_url.rstrip("/")
    return f"{base}/{path}" if base else path


def episode_item(
    episode: Episode, config: PodcastConfig, *, duration: float, mp3_bytes: int,
    shownotes_html: str, shownotes_text: str,
) -> FeedItem:
    meta, slug = episode.meta, episode.slug
    language = meta.language or config.language

    def url(suffix: str) -> str:
        return file_url(config, slug, f"{slug}{suffix}")

    return FeedItem(
        slug=slug,
        title=meta.title or slug,
        description_html=shownotes_html,
        summary_text=shownotes_text,
        author=", ".join(meta.authors),
        mp3_url=url(".mp3"),
        mp3_bytes=mp3_bytes,
        duration=duration,
        language=language,
        explicit=meta.explicit or config.explicit,
        transcripts=(
            TranscriptLink(url(".vtt"), "text/vtt", language, "captions"),
            TranscriptLink(url(".srt"), "application/x-subrip", language, "captions"),
            TranscriptLink(url(".transcript.json"), "application/json", language),
            TranscriptLink(url(".html"), "text/html", language),
        ),
        chapters_url=url(".chapters.json"),
        link=meta.source_url,
        published=_date(meta.date),
        episode_number=meta.episode_number,
        season=meta.season,
    )


def _date(value: str) -> datetime | None:
    """ISO 8601 YYYY, YYYY-MM or YYYY-MM-DD as a UTC datetime (RSS needs a full date)."""
    parts = [int(p) for p in value.split("-")] if value else []
    if not parts:
        return None
    year, month, day = (parts + [1, 1])[:3]
    return datetime(year, month, day, tzinfo=UTC)


# --------------------------------------------------------------------------- extension


class PodcastIndexExtension(BaseExtension):  # type: ignore[misc]
    """The Podcasting 2.0 namespace at channel level (it has nothing to add there yet
    but the namespace declaration on ``<rss>``)."""

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        return rss_feed


class PodcastIndexEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """``<podcast:transcript url type language rel>`` and ``<podcast:chapters url type>``."""

    def __init__(self) -> None:
        self._transcripts: list[TranscriptLink] = []
        self._chapters: str = ""

    def transcript(self, link: TranscriptLink) -> None:
        self._transcripts.append(link)

    def chapters(self, url: str) -> None:
        self._chapters = url

    def extend_rss(self, entry: Any) -> Any:
        for link in self._transcripts:
            elem = xml_elem(f"{{{PODCAST_NS}}}transcript", entry)
            elem.attrib.update({"url": link.url, "type": link.type, "language": link.language})
            if link.rel:
                elem.attrib["rel"] = link.rel
        if self._chapters:
            elem = xml_elem(f"{{{PODCAST_NS}}}chapters", entry)
            elem.attrib.update({"url": self._chapters, "type": CHAPTERS_MIME})
        return entry


# --------------------------------------------------------------------------- render


def _clock(seconds: float) -> str:
    total = int(round(max(seconds, 0.0)))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def channel_language(config: PodcastConfig, items: Sequence[FeedItem]) -> str:
    """The config's language; with "auto", the language most of the episodes are in."""
    if config.language != "auto":
        return config.language
    counts: dict[str, int] = {}
    for item in items:
        counts[item.language] = counts.get(item.language, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else "en"


def render_feed(config: PodcastConfig, items: Sequence[FeedItem]) -> str:
    """An RSS 2.0 feed of ``items`` (in the given order) for the podcast in ``config``."""
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcastindex", PodcastIndexExtension, PodcastIndexEntryExtension,
                          atom=False, rss=True)
    title = config.podcast or "Podcast"
    author = config.feed_author or config.publisher or title
    fg.title(title)
    fg.link(href=config.feed_base_url or "./", rel="alternate")
    fg.description(config.feed_description or title)
    fg.language(channel_language(config, items))
    fg.generator(GENERATOR)
    fg.podcast.itunes_author(author)
    fg.podcast.itunes_explicit("yes" if config.explicit else "no")
    if config.feed_category:
        fg.podcast.itunes_category(config.feed_category)
    if config.feed_image:
        fg.podcast.itunes_image(config.feed_image)
    if config.feed_email:  # iTunes wants both a name and an address, or no owner
        fg.podcast.itunes_owner(name=config.publisher or title, email=config.feed_email)
    fg.podcast.itunes_summary(config.feed_description or title)
    # feedgen prepends each added entry; adding in reverse keeps the given order
    for item in reversed(list(items)):
        fe = fg.add_entry()
        fe.title(item.title)
        fe.guid(item.slug, permalink=False)
        if item.link:
            fe.link(href=item.link)
        fe.description(item.description_html)
        fe.enclosure(item.mp3_url, str(item.mp3_bytes), "audio/mpeg")
        if item.published is not None:
            fe.pubDate(item.published)
        fe.podcast.itunes_duration(_clock(item.duration))
        fe.podcast.itunes_explicit("yes" if item.explicit else "no")
        fe.podcast.itunes_summary(item.summary_text)
        if item.author:
            fe.podcast.itunes_author(item.author)
        if item.episode_number is not None:
            fe.podcast.itunes_episode(item.episode_number)
        if item.season is not None:
            fe.podcast.itunes_season(item.season)
        fe.podcast.itunes_episode_type("full")
        for link in item.transcripts:
            fe.podcastindex.transcript(link)
        fe.podcastindex.chapters(item.chapters_url)
    return fg.rss_str(pretty=True).decode("utf-8")
