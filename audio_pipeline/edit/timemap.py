"""Original time -> edited time, through the cuts, and what it does to words and chapters.

A time before every cut is unchanged; after a cut it moves earlier by the length of
every cut before it; inside a cut it lands on the join. A word whose middle lies in a
cut was cut with it and vanishes (so does a segment left with no words); everything
else keeps its text and moves.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from audio_pipeline.types import ChapterMark, Segment, Word


@dataclass(frozen=True)
class TimeMap:
    starts: tuple[float, ...]  # of the cuts, sorted, never overlapping
    ends: tuple[float, ...]
    removed_before: tuple[float, ...]  # seconds cut before cut k (prefix sums)

    @classmethod
    def of(cls, spans: Iterable[tuple[float, float]]) -> TimeMap:
        ordered = sorted((float(s), float(e)) for s, e in spans if e > s)
        for (_, e0), (s1, _) in zip(ordered, ordered[1:], strict=False):
            if s1 < e0:
                raise ValueError(f"overlapping cuts at {s1:.3f} s")
        removed, total = [], 0.0
        for s, e in ordered:
            removed.append(total)
            total += e - s
        return cls(tuple(s for s, _ in ordered), tuple(e for _, e in ordered), tuple(removed))

    @property
    def removed(self) -> float:
        return (self.removed_before[-1] + self.ends[-1] - self.starts[-1]) if self.starts else 0.0

    def __call__(self, t: float) -> float:
        k = bisect_right(self.starts, t) - 1  # the last cut starting at or before t
        if k < 0:
            return t
        if t < self.ends[k]:  # inside cut k: the join
            return self.starts[k] - self.removed_before[k]
        return t - self.removed_before[k] - (self.ends[k] - self.starts[k])

    def is_cut(self, t: float) -> bool:
        k = bisect_right(self.starts, t) - 1
        return k >= 0 and t < self.ends[k]


def map_words(words: Iterable[Word], tmap: TimeMap) -> tuple[Word, ...]:
    return tuple(Word(w.text, tmap(w.start), max(tmap(w.end), tmap(w.start)), w.probability)
                 for w in words if not tmap.is_cut((w.start + w.end) / 2.0))


def map_segments(segments: Sequence[Segment], tmap: TimeMap) -> list[Segment]:
    out: list[Segment] = []
    for seg in segments:
        if seg.words:
            words = map_words(seg.words, tmap)
            if not words:
                continue
            text = seg.text if len(words) == len(seg.words) else " ".join(w.text for w in words)
            start, end = min(tmap(seg.start), words[0].start), max(tmap(seg.end), words[-1].end)
        else:
            if tmap.is_cut(seg.start) and tmap.is_cut(max(seg.start, seg.end - 1e-6)):
                continue
            words, text, start, end = (), seg.text, tmap(seg.start), tmap(seg.end)
        if end <= start and not words:
            continue
        out.append(Segment(len(out), start, max(end, start), text, words))
    return out


def map_chapters(chapters: Iterable[ChapterMark], tmap: TimeMap) -> tuple[ChapterMark, ...]:
    """Chapters move with their start; one whose whole span was cut is dropped."""
    out = []
    for ch in chapters:
        start, end = tmap(ch.start), tmap(ch.end)
        if end <= start and ch.end > ch.start:
            continue
        out.append(ChapterMark(ch.title, start, max(end, start)))
    return tuple(out)
