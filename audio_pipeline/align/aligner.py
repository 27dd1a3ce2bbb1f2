"""Transcript <-> article text: timed source words and sentences, issues, summary, chapters.

``align`` is a pure function. Both sides are reduced to spoken tokens
(:mod:`audio_pipeline.align.textnorm`), aligned globally (:mod:`audio_pipeline.align.tokenalign`:
unique n-gram anchors + longest increasing chain + small fuzzy DP between anchors),
then read back at word and sentence level:

- Three or more weak pairings in a row are two different texts, and a weak pairing at
  the edge of unmatched speech belongs to that speech: both are unpaired. Retakes are
  resolved next (:mod:`audio_pipeline.align.retakes`): the later reading keeps the text.
- A source word takes the times of the transcript tokens paired with it. A word with
  no partner inside a read sentence (misheard beyond recognition, dropped by Whisper)
  is interpolated between its neighbours, by character length, or kept next to the
  neighbour in its own sentence when the gap is much longer than the words. Words of a
  skipped sentence get a zero-length time where they should have been.
- A sentence is ``read`` when >= 75 % of its words (or all but one) were heard,
  ``skipped`` under 30 %, else ``partial``.
- Whisper stretches a word over a silence before it (its start drifts early) or after
  it; a word far longer than its letters allow is cut back to a typical length on the
  side that touches the pause, so pauses and sentence starts stay where they are. A
  word after a pause starts at the speech onset the audio shows there (``onsets``), or
  ``ONSET_LEAD`` earlier when no audio is given: Whisper's onsets lag the voice.
- ``coverage`` is the share of source words heard inside read/partial sentences, or
  (with a scorer) not heard but confirmed by the audio (``confirm``);
  ``match`` is "mismatch" under 25 %, "partial" under 80 %, else "ok".
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from audio_pipeline.align.confirm import confirm_by_ear, confirm_sentences
from audio_pipeline.align.context import Context
from audio_pipeline.align.issues import detect_issues, drop_voiced_pauses
from audio_pipeline.align.phrases import merge_garbles, merge_substitutions
from audio_pipeline.align.retakes import find_retakes
from audio_pipeline.align.textnorm import text_tokens
from audio_pipeline.align.tokenalign import (
    align_tokens,
    drop_unrelated_runs,
    drop_weak_edges,
)
from audio_pipeline.align.verify import SpanScorer, verify_issues
from audio_pipeline.types import (
    Alignment,
    ChapterMark,
    MatchVerdict,
    SentenceStatus,
    SourceText,
    SummaryLocation,
    TimedSentence,
    TimedWord,
    Transcript,
    Word,
)

__all__ = ["align"]

READ_SHARE = 0.75
ONSET_LEAD = 0.1  # s; measured on espeak and human test narrations (tiny.en)
# (start, earliest[, min_quiet]) -> the speech onset there, or None: onsets.SpeechOnsets
OnsetFinder = Callable[..., float | None]
SKIP_SHARE = 0.3


def align(
    transcript: Transcript,
    source: SourceText,
    *,
    summary: str = "",
    long_pause: float = 5.0,
    audio_duration: float | None = None,
    onsets: OnsetFinder | None = None,
    scorer: SpanScorer | None = None,
    voiced: Callable[[float, float], float | None] | None = None,
) -> Alignment:
    """Align Whisper's words to the article; everything in the result is derived here.

    ``summary`` is looked for in the speech (often read as the opening); ``long_pause``
    is the silence (s) worth a ``long_pause`` issue; ``audio_duration`` ends the last
    chapter (defaults to the transcript's duration). ``onsets`` (e.g. ``SpeechOnsets``
    over the recording) gives the speech onset near a time; without it a word after a
    pause starts ``ONSET_LEAD`` before Whisper's time. ``scorer`` (the transcribing
    model, see ``verify``) checks every candidate issue against the audio; without it
    the confidences come from the text features alone. ``voiced`` (the share of an
    interval at speech level: ``SpeechOnsets.voiced_fraction``) keeps gaps full of
    speech Whisper did not transcribe from being reported as long pauses.
    """
    words = _sanitize_times(transcript, onsets, audio_duration or transcript.duration)
    duration = audio_duration or transcript.duration or (words[-1].end if words else 0.0)
    ctx = _tokenize(words, source, long_pause, duration)
    ctx.pairs = drop_weak_edges(drop_unrelated_runs(align_tokens(ctx.src, ctx.hyp, ctx.language)))
    ctx.pairs, ctx.retakes = find_retakes(ctx)
    ctx.index_pairs()

    timed_words, statuses = _time_words(ctx)
    sentences = _time_sentences(ctx, timed_words, statuses)
    if onsets is not None:
        _sentence_onsets(ctx, timed_words, sentences, onsets)
    ctx.timed_words, ctx.sentences = timed_words, sentences
    issues = merge_garbles(merge_substitutions(ctx, detect_issues(ctx)))
    if voiced is not None:
        issues = drop_voiced_pauses(issues, voiced)
    if scorer is not None:
        issues = confirm_sentences(ctx, scorer, duration, issues)
        issues = verify_issues(ctx.words, issues, duration, scorer, _article_words(ctx))
        for k in confirm_by_ear(ctx, scorer, duration):
            w = timed_words[k]
            timed_words[k] = TimedWord(w.text, w.start, w.end, w.heard, confirmed=True)

    n_words = len(source.words)
    heard = sum(
        1
        for w, tw in zip(source.words, timed_words, strict=True)
        if (tw.heard is not None or tw.confirmed) and sentences[w.sentence].status != "skipped"
    )
    coverage = heard / n_words if n_words else 0.0
    match: MatchVerdict = "mismatch" if coverage < 0.25 else "partial" if coverage < 0.8 else "ok"
    return Alignment(
        coverage=coverage,
        match=match,
        sentences=tuple(sentences),
        words=tuple(timed_words),
        issues=tuple(issues),
        summary=_locate_summary(summary, ctx),
        chapters=tuple(_chapters(sentences, ctx, duration)) if match != "mismatch" else (),
    )


SENTENCE_PAUSE = 0.15  # s of quiet before a sentence start the audio must show to move it


def _sentence_onsets(ctx: Context, words: list[TimedWord], sentences: list[TimedSentence],
                     onsets: OnsetFinder) -> None:
    """Each read sentence starts at the speech onset after the pause before it, even
    where Whisper stretched the words on either side over that pause (then no gap shows
    in its times, and the word-level pass in _sanitize_times leaves them)."""
    prev_start = 0.0
    for k, s in enumerate(sentences):
        if s.status == "skipped" or s.start is None or s.end is None:
            continue
        found = onsets(s.start, prev_start + 0.05, SENTENCE_PAUSE)
        first = ctx.source.sentences[s.index].first_word
        if found is not None and found < s.end and words[first].start is not None:
            sentences[k] = TimedSentence(s.index, s.kind, s.text, found, s.end, s.status)
            w = words[first]
            words[first] = TimedWord(w.text, found, max(found, w.end or found), w.heard)
        prev_start = sentences[k].start or prev_start


def _article_words(ctx: Context) -> list[Word]:
    """The article's words as aligned (read sentences, timed), in time order: what the
    narrator should have said around any moment."""
    out = [Word(w.text, tw.start, tw.end)
           for w, tw in zip(ctx.source.words, ctx.timed_words, strict=True)
           if tw.start is not None and tw.end is not None
           and ctx.sentences[w.sentence].status != "skipped"]
    return sorted(out, key=lambda w: w.start)


# --------------------------------------------------------------------------- preparation


def _sanitize_times(transcript: Transcript, onsets: OnsetFinder | None = None,
                    duration: float = 0.0) -> list[Word]:  # inside the audio: see `ceiling`
    ceiling = duration if duration > 0 else float("inf")
    out: list[Word] = []
    for seg in transcript.segments:
        for k, w in enumerate(seg.words):
            start, end = float(w.start), max(float(w.end), float(w.start))
            typical = 0.15 + 0.07 * len(w.text.strip())
            # the first word of a window often starts at the window's start, in silence
            limit = max(0.5, 1.5 * typical) if k == 0 else max(0.7, 2.0 * typical)
            if end - start > limit:
                if k == len(seg.words) - 1 and k > 0:
                    end = start + typical  # the pause after the last word of a segment
                else:
                    start = end - typical  # the pause before it (the usual drift)
            prev_end = out[-1].end if out else 0.0
            if not out or start - prev_end >= 0.15:
                # Whisper's attention-based onsets lag real speech onsets after a pause:
                # the audio's own rising edge, else a typical lead
                found = onsets(start, prev_end) if onsets is not None else None
                start = found if found is not None else max(prev_end, start - ONSET_LEAD)
            if out and start < out[-1].start:
                start = out[-1].start
            start = min(max(start, 0.0), ceiling)  # the last window's times can overrun
            if out and out[-1].end > start:  # never overlapping: a number's spoken tokens
                p = out[-1]  # are spread over its span, all before the next word's
                out[-1] = Word(p.text, p.start, max(p.start, start), p.probability)
            out.append(Word(w.text.strip(), start, min(max(end, start), ceiling), w.probability))
    return out


def _tokenize(words: list[Word], source: SourceText, long_pause: float, duration: float) -> Context:
    ctx = Context(source=source, words=words, long_pause=long_pause, duration=duration)
    for wi, sw in enumerate(source.words):
        for tok in sw.spoken:
            ctx.src.append(tok)
            ctx.src_word.append(wi)
    for wi, w in enumerate(words):
        toks = text_tokens(w.text, source.language)
        total = sum(len(t) for t in toks) or 1
        t0 = w.start
        for tok in toks:
            t1 = t0 + (w.end - w.start) * len(tok) / total
            ctx.hyp.append(tok)
            ctx.hyp_word.append(wi)
            ctx.hyp_start.append(t0)
            ctx.hyp_end.append(t1)
            t0 = t1
    return ctx


# --------------------------------------------------------------------------- timing


def _time_words(ctx: Context) -> tuple[list[TimedWord], list[SentenceStatus]]:
    src_words = ctx.source.words
    n = len(src_words)
    starts: list[float | None] = [None] * n
    ends: list[float | None] = [None] * n
    heard: list[str | None] = [None] * n
    for wi in range(n):
        toks = ctx.word_pairs.get(wi)
        if not toks:
            continue
        hs = sorted({h for p in toks for h in range(p.h0, p.h1)})
        starts[wi] = ctx.hyp_start[hs[0]]
        ends[wi] = ctx.hyp_end[hs[-1]]
        wids = sorted({ctx.hyp_word[h] for h in hs})
        heard[wi] = " ".join(ctx.words[k].text for k in wids)
    statuses: list[SentenceStatus] = []
    for s in ctx.source.sentences:
        idx = range(s.first_word, s.last_word + 1)
        got = sum(1 for i in idx if heard[i] is not None)
        share = got / len(idx) if len(idx) else 0.0
        if share >= READ_SHARE or (len(idx) >= 3 and got >= len(idx) - 1):
            statuses.append("read")
        elif share < SKIP_SHARE:
            statuses.append("skipped")
            for i in idx:  # chance matches inside a skipped sentence time nothing
                starts[i] = ends[i] = heard[i] = None
        else:
            statuses.append("partial")
    # words of skipped sentences take no time: they were never spoken
    lengths = [0 if statuses[w.sentence] == "skipped" else len(w.text) for w in src_words]
    _interpolate(starts, ends, lengths, [w.sentence for w in src_words], ctx.duration)
    timed = [TimedWord(w.text, starts[i], ends[i], heard[i]) for i, w in enumerate(src_words)]
    return timed, statuses


def _speech_time(chars: int) -> float:
    return 0.1 + 0.07 * chars if chars else 0.0


def _interpolate(
    starts: list[float | None], ends: list[float | None], lengths: list[int],
    sentence: list[int], duration: float = 0.0,
) -> None:
    """Times for unheard words from their heard neighbours.

    Where the gap is about as long as the words, they share it by length. Where it is
    much longer (a pause, an ad-lib, a skipped passage lies there too), words stay next
    to the heard neighbour of their own sentence: a sentence whose first word Whisper
    missed still starts just before its second word, not back at the previous sentence.
    Times stay inside the audio (0 to ``duration``, when it is known).
    """
    ceiling = duration if duration > 0 else float("inf")
    n = len(starts)
    known = [i for i in range(n) if starts[i] is not None]
    if not known:
        return
    first, last = known[0], known[-1]
    t = starts[first]
    assert t is not None
    for i in range(first - 1, -1, -1):
        same = sentence[i] == sentence[first]
        ends[i] = max(0.0, t)
        t = t - _speech_time(lengths[i]) if same else t
        starts[i] = max(0.0, t)
    t = ends[last]
    assert t is not None
    for i in range(last + 1, n):
        starts[i] = min(t, ceiling)
        t = t + _speech_time(lengths[i]) if sentence[i] == sentence[last] else t
        ends[i] = min(t, ceiling)
    for a, b in zip(known, known[1:], strict=False):
        if b - a <= 1:
            continue
        t0, t1 = ends[a], starts[b]
        assert t0 is not None and t1 is not None
        t1 = max(t1, t0)
        run = list(range(a + 1, b))
        need = [_speech_time(lengths[i]) for i in run]
        if t1 - t0 > 1.5 * sum(need) + 0.3:
            head = [k for k, i in enumerate(run) if sentence[i] == sentence[a]]
            tail = [k for k, i in enumerate(run) if sentence[i] == sentence[b] != sentence[a]]
            for k in head:
                starts[run[k]], ends[run[k]] = t0, t0 + need[k]
                t0 += need[k]
            for k in reversed(tail):
                starts[run[k]], ends[run[k]] = t1 - need[k], t1
                t1 -= need[k]
            taken = set(head) | set(tail)
            run = [i for k, i in enumerate(run) if k not in taken]
        span = sum(lengths[i] for i in run) or 1
        t = t0
        for i in run:
            step = (t1 - t0) * lengths[i] / span
            starts[i], ends[i] = t, t + step
            t += step


def _time_sentences(
    ctx: Context, words: list[TimedWord], statuses: list[SentenceStatus]
) -> list[TimedSentence]:
    out: list[TimedSentence] = []
    for s, status in zip(ctx.source.sentences, statuses, strict=True):
        start, end = words[s.first_word].start, words[s.last_word].end
        if status == "skipped" and start is not None:
            # nothing was heard: pin the sentence (and its words) where it should have been
            for i in range(s.first_word, s.last_word + 1):
                words[i] = TimedWord(words[i].text, start, start, None)
            end = start
        out.append(TimedSentence(s.index, s.kind, s.text, start, end, status))
    return out


# --------------------------------------------------------------------------- summary, chapters


def _locate_summary(summary: str, ctx: Context) -> SummaryLocation:
    toks = text_tokens(summary, ctx.language)
    if not toks or not ctx.hyp:
        return SummaryLocation(found=False)
    vocab = {t for t in toks if len(t) >= 3} or set(toks)
    hits = np.array([1.0 if t in vocab else 0.0 for t in ctx.hyp])
    width = min(len(toks), len(hits))
    sums = np.convolve(hits, np.ones(width), mode="valid")
    j0 = int(np.argmax(sums))
    lo, hi = max(0, j0 - width // 2), min(len(ctx.hyp), j0 + width + width // 2)
    pairs = [p for p in align_tokens(toks, ctx.hyp[lo:hi], ctx.language) if p.sim >= 0.6]
    if not pairs:
        return SummaryLocation(found=False)
    score = min(1.0, sum(p.sim * (p.s1 - p.s0) for p in pairs) / len(toks))
    start = ctx.hyp_start[lo + pairs[0].h0]
    end = ctx.hyp_end[lo + pairs[-1].h1 - 1]
    if score < 0.5:
        return SummaryLocation(found=False, score=score)
    return SummaryLocation(found=True, start=start, end=end, score=score)


def _chapters(sentences: list[TimedSentence], ctx: Context, duration: float) -> list[ChapterMark]:
    headings = [s for s in sentences if s.kind == "heading"]
    if not headings:
        return []
    marks: list[tuple[str, float]] = []
    for h in headings:
        if h.status != "skipped" and h.start is not None:
            start = h.start
        else:
            # an unread heading: its chapter starts with the next sentence that was read
            nxt = next(
                (
                    s
                    for s in sentences[h.index + 1 :]
                    if s.status != "skipped" and s.start is not None
                ),
                None,
            )
            if nxt is None or nxt.start is None:
                continue
            start = nxt.start
        if marks and start <= marks[-1][1]:
            continue
        marks.append((h.text, start))
    end_all = max(duration, ctx.words[-1].end if ctx.words else 0.0)
    if marks and marks[0][1] >= 1.0:
        marks.insert(0, ("Introduction", 0.0))
    elif marks:
        marks[0] = (marks[0][0], 0.0)
    if len(marks) < 2:
        return []  # a single chapter says nothing a player does not already show
    return [
        ChapterMark(title, start, marks[k + 1][1] if k + 1 < len(marks) else end_all)
        for k, (title, start) in enumerate(marks)
    ]
