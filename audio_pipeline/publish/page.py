"""``<slug>.html``: the transcript page for listeners.

Chapters are headings, the text is in paragraphs of sentences, and each sentence is a
link to its moment in the MP3 (``episode.mp3#t=12.3``): without JavaScript a click opens
the audio there; with it, the page's player seeks, and the sentence being spoken is
highlighted (``aria-current``) as the audio plays. Every value is autoescaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, select_autoescape

from audio_pipeline.formatting import clock
from audio_pipeline.types import ChapterMark, EpisodeMeta, Segment

# Segments further apart than this start a new paragraph: the narrator's pause.
_PARAGRAPH_GAP = 1.2


@dataclass(frozen=True)
class PageSentence:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class PageChapter:
    title: str
    start: float
    paragraphs: tuple[tuple[PageSentence, ...], ...]


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def page_chapters(
    segments: Sequence[Segment], chapters: Sequence[ChapterMark]
) -> tuple[PageChapter, ...]:
    """Segments grouped under the chapter they fall in; a segment that is the chapter's
    heading read aloud becomes the heading, not a sentence."""
    marks = sorted(chapters, key=lambda c: c.start) or [ChapterMark("", 0.0, 0.0)]
    groups: list[list[Segment]] = [[] for _ in marks]
    for seg in sorted(segments, key=lambda s: s.start):
        if not seg.text.strip():
            continue
        k = max([i for i, m in enumerate(marks) if m.start <= seg.start + 0.25] or [0])
        groups[k].append(seg)
    out = []
    for mark, segs in zip(marks, groups, strict=True):
        if segs and mark.title and _key(segs[0].text) == _key(mark.title):
            segs = segs[1:]
        paragraphs: list[list[PageSentence]] = []
        last_end = None
        for seg in segs:
            if last_end is None or seg.start - last_end > _PARAGRAPH_GAP:
                paragraphs.append([])
            paragraphs[-1].append(PageSentence(round(seg.start, 3), round(seg.end, 3),
                                               " ".join(seg.text.split())))
            last_end = seg.end
        out.append(PageChapter(mark.title, round(mark.start, 3),
                               tuple(tuple(p) for p in paragraphs)))
    return tuple(out)


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("audio_pipeline.publish", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clock"] = lambda t: clock(t, pad=True, missing="--:--")
    return env


def render_page(
    meta: EpisodeMeta,
    *,
    slug: str,
    segments: Sequence[Segment],
    chapters: Sequence[ChapterMark],
    mp3_name: str,
    language: str,
    files: dict[str, str],
) -> str:
    """HTML for ``<slug>.html``; ``files`` maps a label to a file name beside the page."""
    return environment().get_template("transcript.html.j2").render(
        title=meta.title or slug,
        authors=list(meta.authors),
        narrator=meta.narrator,
        source_url=meta.source_url,
        summary=meta.summary,
        mp3=mp3_name,
        language=language or "en",
        chapters=page_chapters(segments, chapters),
        files=files,
    )
