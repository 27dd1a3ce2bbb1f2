"""Timed source text as transcript segments, for the subtitle and transcript writers.

Captions must say what was said: the article's spelling where the narrator read the
article, the spoken words where a verified issue says otherwise (a substitution shows
what was heard, an ad-lib inside a sentence is shown where it was said), and nothing
for text that was skipped.
"""

from __future__ import annotations

from audio_pipeline.align.verdict import to_fix
from audio_pipeline.types import Alignment, NarrationIssue, Segment, Transcript, Word


def timed_source_segments(alignment: Alignment, transcript: Transcript) -> list[Segment]:
    """One segment per heard source sentence (words in the article's spelling), plus
    Whisper's own words for speech outside every sentence (intro, outro, ad-libs,
    abandoned attempts), in time order."""
    items: list[tuple[float, float, str, tuple[Word, ...]]] = []
    spans: list[tuple[float, float]] = []
    for s in alignment.sentences:
        if s.status == "skipped" or s.start is None or s.end is None:
            continue
        spans.append((s.start, s.end))
    bounds = _sentence_word_bounds(alignment)
    fixes = to_fix(alignment)
    # only what the audio confirmed: an unverified finding may be Whisper's mishearing
    spoken = [i for i in fixes if i.type in ("substituted", "inserted") and i.llr is not None]
    for s, (lo, hi) in zip(alignment.sentences, bounds, strict=True):
        if s.status == "skipped" or s.start is None or s.end is None:
            continue
        punctuated = _with_punctuation(s.text, [w.text for w in alignment.words[lo:hi]])
        ws = tuple(
            Word(text, float(w.start), float(w.end or w.start), 1.0 if w.heard else 0.5)
            for w, text in zip(alignment.words[lo:hi], punctuated, strict=True)
            if w.start is not None
        )
        shown = _as_spoken(ws, s.start, s.end, spoken, transcript.words) if spoken else ws
        # the article's sentence as written, unless the narrator said something else
        text = s.text if shown == ws else " ".join(w.text for w in shown)
        items.append((s.start, s.end, text, shown))
    spans.sort()
    run: list[Word] = []

    def flush() -> None:
        if run:
            items.append((run[0].start, run[-1].end, " ".join(w.text for w in run), tuple(run)))
            run.clear()

    for w in transcript.words:
        mid = (w.start + w.end) / 2
        inside = any(a - 0.05 <= mid <= b + 0.05 for a, b in spans)
        if inside:
            flush()
            continue
        if run and w.start - run[-1].end > 1.5:
            flush()
        run.append(Word(w.text.strip(), w.start, w.end, w.probability))
    flush()
    items.sort(key=lambda it: (it[0], it[1]))
    return [Segment(k, a, b, text, ws) for k, (a, b, text, ws) in enumerate(items)]


def _as_spoken(ws: tuple[Word, ...], start: float, end: float, issues: list[NarrationIssue],
               heard: tuple[Word, ...]) -> tuple[Word, ...]:
    """The sentence's words with each verified substitution replaced by the words heard
    and each verified ad-lib inside it put where it was said."""
    out = list(ws)
    for issue in issues:
        if not (start - 0.05 <= issue.start and issue.end <= end + 0.05):
            continue
        said = [Word(w.text.strip(), w.start, w.end, w.probability) for w in heard
                if w.start >= issue.start - 1e-3 and w.end <= issue.end + 1e-3]
        if not said:
            continue
        if issue.type == "substituted":
            inside = [k for k, w in enumerate(out)
                      if w.start >= issue.start - 0.05 and w.end <= issue.end + 0.05]
            if not inside:
                continue
            out[inside[0]: inside[-1] + 1] = said
        else:
            at = next((k for k, w in enumerate(out) if w.start >= issue.start), len(out))
            out[at:at] = said
    return tuple(out)


def _with_punctuation(sentence: str, words: list[str]) -> list[str]:
    """Each word as the sentence shows it, with the punctuation attached to it ("2010,",
    "(slowly)."), so subtitles cut from word runs keep the article's punctuation."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for word in words:
        pos = sentence.find(word, cursor)
        if pos < 0:
            return list(words)
        spans.append((pos, pos + len(word)))
        cursor = pos + len(word)
    shown = []
    floor = 0  # where the previous word's shown text ended: never show a character twice
    for i, (a, b) in enumerate(spans):
        ceiling = spans[i + 1][0] if i + 1 < len(spans) else len(sentence)
        while a > floor and not sentence[a - 1].isspace():
            a -= 1
        while b < ceiling and not sentence[b].isspace():
            b += 1
        shown.append(sentence[a:b])
        floor = b
    return shown


def _sentence_word_bounds(alignment: Alignment) -> list[tuple[int, int]]:
    """Word index ranges per sentence, recovered from the sentence texts in order."""
    out: list[tuple[int, int]] = []
    k = 0
    for s in alignment.sentences:
        n = len(s.text.split())
        lo = k
        # words are the readable tokens of the sentence; walk until their text is used up
        rest = s.text
        while k < len(alignment.words):
            pos = rest.find(alignment.words[k].text)
            if pos < 0:
                break
            rest = rest[pos + len(alignment.words[k].text) :]
            k += 1
        out.append((lo, k if k > lo else min(lo + n, len(alignment.words))))
    return out
