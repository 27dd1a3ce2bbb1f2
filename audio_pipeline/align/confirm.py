"""Article words Whisper did not write, confirmed by the audio as read.

Coverage counts the article words the narrator read. Whisper's words are one witness:
an article word paired with a transcript word was heard. But where Whisper garbles a
phrase (a voice or an accent it hears badly, a rare word) or drops a short word, the
article's words have no partner although they were read, and coverage would call them
unread. The audio can say more: for each run of unpaired article words inside a read
sentence, the scorer (``align.verify``) compares the article's text with what Whisper
wrote there (nothing, for a dropped word). When the article's text is about as likely
(at or below the floor of the evidence for that kind of issue: no sign of a misread or
a skip) the words were read, and count as such; any other run stays unread, and the
issue finders have already reported it if the text shows a defect.

Whole sentences Whisper garbled (``confirm_sentences``) are the same question asked of
skipped sentences with unmatched speech in their place; it runs before the issues are
verified, so the skips there are verified against that speech, not against silence.
"""

from __future__ import annotations

import dataclasses

from audio_pipeline.align.context import Context
from audio_pipeline.align.issues import HEADING_UNVERIFIED, SKIPPED_SENTENCE
from audio_pipeline.align.verify import (
    CALIBRATION,
    SKIP_HEAD,
    SpanScorer,
    build_candidates,
    verified_confidence,
)
from audio_pipeline.types import NarrationIssue, TimedWord

MAX_RUN = 12  # article words, and transcript words, a side: a longer run is not a garble
MAX_SENTENCE_RUN = 60  # article words, and transcript words: about 30 s of speech
MAX_RUN_SENTENCES = 8  # a longer garbled run is not searched for a block left out
# heard characters per article character for speech to be a garbling of the article's
# text at all: as for one word garbled into several (align.issues._replacements)
SOUND_RATIO = (0.5, 2.0)
# issues that speech Whisper garbled in place of skipped sentences gives rise to
_GARBLE_ISSUES = frozenset({"skipped", "substituted", "inserted", "intro", "outro"})
# of those, the ones that claim the article's words were not read there
_ANSWERED = frozenset({"skipped", "substituted"})


def unheard_runs(ctx: Context) -> list[tuple[int, int]]:
    """[i, e) runs of article words inside read or partial sentences that nothing in the
    transcript was paired with."""
    words, sentences = ctx.timed_words, ctx.sentences
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        if (words[i].heard is not None or words[i].confirmed
                or sentences[ctx.source.words[i].sentence].status == "skipped"):
            i += 1
            continue
        e = i
        while (e < len(words) and words[e].heard is None and not words[e].confirmed
               and sentences[ctx.source.words[e].sentence].status != "skipped"):
            e += 1
        runs.append((i, e))
        i = e
    return runs


def _transcript_words(ctx: Context, wi: int) -> list[int]:
    return sorted({ctx.hyp_word[h] for p in ctx.word_pairs.get(wi, ())
                   for h in range(p.h0, p.h1)})


def _heard_neighbours(ctx: Context, i: int, e: int) -> tuple[int, int]:
    """The transcript words [h0, h1) between the nearest heard article words before
    ``i`` and from ``e`` on: what Whisper wrote where the run was read."""
    h0, h1 = 0, len(ctx.words)
    for wi in range(i - 1, -1, -1):
        if ids := _transcript_words(ctx, wi):
            h0 = ids[-1] + 1
            break
    for wi in range(e, len(ctx.timed_words)):
        if ids := _transcript_words(ctx, wi):
            h1 = ids[0]
            break
    return h0, max(h0, h1)


def confirm_by_ear(ctx: Context, scorer: SpanScorer, duration: float) -> set[int]:
    """The article words of ``unheard_runs`` the audio confirms were read (module doc)."""
    confirmed: set[int] = set()
    for i, e in unheard_runs(ctx):
        h0, h1 = _heard_neighbours(ctx, i, e)
        if e - i > MAX_RUN or h1 - h0 > MAX_RUN:
            continue
        article = " ".join(w.text for w in ctx.source.words[i:e])
        kind = "substituted" if h1 > h0 else "skipped"
        try:
            window, article_text, heard_text = build_candidates(ctx.words, h0, h1, article,
                                                                duration)
            llr = scorer(window, article_text, heard_text,
                         head=SKIP_HEAD if kind == "skipped" else None,
                         acoustic=kind == "substituted")
        except ValueError:  # a window over 30 s, a text longer than the decoder takes
            continue
        if llr <= CALIBRATION[kind][0]:
            confirmed.update(range(i, e))
    return confirmed



def confirm_sentences(ctx: Context, scorer: SpanScorer, duration: float,
                      issues: list[NarrationIssue]) -> list[NarrationIssue]:
    """Skipped sentences that Whisper garbled, confirmed by the audio as read.

    Whisper sometimes writes a whole sentence or a title as other words ("Безопасность
    языковых моделей" heard as "И на пасах стены камых манья"): nothing pairs with the
    article there, so the aligner calls the sentence skipped and the speech an ad-lib
    (or an intro or outro, at the article's edges). Where a run of skipped sentences
    (with the unheard words either side) has unmatched speech in its place, of about
    the same sound length, the scorer compares the article's text with what Whisper
    wrote there, with the model's preference for either text as text removed. At or
    below the floor of a skip's evidence (no sign of one: the article's text is about
    as likely) the sentences were read: they become ``read``, their words ``confirmed``
    and timed across that speech, and the skip and ad-lib issues there are dropped.

    A narrator may also have left one of those sentences out, and Whisper garbled the
    rest: then no reading of the whole run matches the speech. So the run less each
    block of consecutive sentences is compared the same way (``_readings``); the one the
    audio finds most likely, if at or below the floor, is what was read, and the block
    left out is a skip whose evidence is the model's answer to "is this block said
    here?" (the run's text with it against the run's text without it).

    Otherwise the skips there keep the whole run's comparison as their evidence
    (``llr``): with speech in the sentences' place, "were these sentences what was
    said?" is the question a skip asks, not "is something missing between these two
    words?" (align.verify). A real skip with an ad-lib in its place is found so: the
    audio says the ad-lib clearly.
    ``ctx.timed_words`` and ``ctx.sentences`` are updated; returns the issues left.
    """
    words, sentences = ctx.timed_words, ctx.sentences
    floor = CALIBRATION["skipped"][0]
    k = 0
    while k < len(sentences):
        if sentences[k].status != "skipped":
            k += 1
            continue
        e = k
        while e < len(sentences) and sentences[e].status == "skipped":
            e += 1
        run = (k, e)
        i = ctx.source.sentences[k].first_word
        j = ctx.source.sentences[e - 1].last_word + 1
        k = e
        while i > 0 and words[i - 1].heard is None and not words[i - 1].confirmed:
            i -= 1
        while j < len(words) and words[j].heard is None and not words[j].confirmed:
            j += 1
        h0, h1 = _heard_neighbours(ctx, i, j)
        if not 0 < h1 - h0 <= MAX_SENTENCE_RUN or j - i > MAX_SENTENCE_RUN:
            continue
        if any(r.h0 <= t < r.h1 and h0 <= ctx.hyp_word[t] < h1
               for r in ctx.retakes for t in range(r.h0, r.h1)):
            continue  # a retake there is the narrator's, not Whisper's
        heard = ctx.words[h0:h1]
        zone = (ctx.words[h0 - 1].end if h0 > 0 else 0.0,
                ctx.words[h1].start if h1 < len(ctx.words) else duration)

        whole = _compare(ctx, scorer, duration, (h0, h1), list(range(i, j)))
        if whole is not None and whole[0] <= floor:
            _read_across(ctx, list(range(i, j)), heard[0].start, heard[-1].end)
            issues = _without_garbles(issues, zone)
            continue
        best: tuple[float, tuple[int, int], list[int], str] | None = None
        for left_out, kept in _readings(ctx, run, i, j):
            found = _compare(ctx, scorer, duration, (h0, h1), kept)
            if found is not None and found[0] <= floor and (best is None or found[0] < best[0]):
                best = (found[0], left_out, kept, found[1])
        if best is not None:
            _, left_out, kept, without = best
            issues = _without_garbles(issues, zone)
            issues.append(_skip_in_reading(ctx, scorer, duration, (h0, h1), left_out,
                                           kept, without))
            issues.sort(key=lambda x: (x.start, x.end))
            continue
        if whole is not None:  # the skips there were asked the right question: keep its answer
            llr = whole[0]
            issues = [dataclasses.replace(x, llr=round(llr, 3), confidence=round(
                          verified_confidence("skipped", x.confidence, llr), 4))
                      if x.type in _ANSWERED and x.llr is None and _inside(x, zone) else x
                      for x in issues]
    return issues


def _compare(ctx: Context, scorer: SpanScorer, duration: float, span: tuple[int, int],
             kept: list[int]) -> tuple[float, str] | None:
    """(llr, the article candidate) for the article words ``kept`` against what Whisper
    wrote in ``span`` (transcript words), as a SpanScorer answers with ``acoustic``;
    None where that speech is no garbling of them (SOUND_RATIO) or cannot be scored."""
    h0, h1 = span
    article = " ".join(ctx.source.words[w].text for w in kept)
    ratio = sum(len(w.text.strip()) for w in ctx.words[h0:h1]) / max(1, len(article))
    if not SOUND_RATIO[0] <= ratio <= SOUND_RATIO[1]:
        return None
    try:
        window, article_text, heard_text = build_candidates(ctx.words, h0, h1, article, duration)
        return scorer(window, article_text, heard_text, acoustic=True), article_text
    except ValueError:  # a window over 30 s, a text longer than the decoder takes
        return None


def _readings(ctx: Context, run: tuple[int, int], i: int,
              j: int) -> list[tuple[tuple[int, int], list[int]]]:
    """Each way of reading the article words [i, j) less one block of consecutive
    sentences of the skipped run: (the block's sentences [a, b), the words kept).
    A narrator leaves a passage out, rarely two apart inside a few sentences."""
    k, e = run
    if e - k < 2 or e - k > MAX_RUN_SENTENCES:
        return []
    out = []
    for size in range(1, e - k):  # the shortest blocks first: they win a tie
        for a in range(k, e - size + 1):
            b = a + size
            first = ctx.source.sentences[a].first_word
            last = ctx.source.sentences[b - 1].last_word
            out.append(((a, b), [w for w in range(i, j) if not first <= w <= last]))
    return out


def _skip_in_reading(ctx: Context, scorer: SpanScorer, duration: float,
                     span: tuple[int, int], left_out: tuple[int, int], kept: list[int],
                     without: str) -> NarrationIssue:
    """The kept words read across the speech of ``span`` (transcript words), and the
    skip of the sentences ``left_out`` at the place they would have been read there,
    with the audio's evidence: the run's text with the block against without it,
    decided where the two part (as every skip is: align.verify)."""
    h0, h1 = span
    heard = ctx.words[h0:h1]
    a, b = left_out
    first = ctx.source.sentences[a].first_word
    last = ctx.source.sentences[b - 1].last_word
    with_block = sorted([*kept, *range(first, last + 1)])
    _read_across(ctx, kept, heard[0].start, heard[-1].end)
    before = [w for w in kept if w < first]
    at = ctx.timed_words[before[-1]].end if before else heard[0].start
    at = float(at if at is not None else heard[0].start)
    for w in range(first, last + 1):
        ctx.timed_words[w] = TimedWord(ctx.timed_words[w].text, at, at, None)
    for s in range(a, b):
        ctx.sentences[s] = dataclasses.replace(ctx.sentences[s], start=at, end=at,
                                               status="skipped")
    expected = " ".join(ctx.source.sentences[s].text for s in range(a, b))
    base = HEADING_UNVERIFIED if all(ctx.sentences[s].kind == "heading"
                                     for s in range(a, b)) else SKIPPED_SENTENCE
    try:
        window, with_text, _ = build_candidates(
            ctx.words, h0, h1, " ".join(ctx.source.words[w].text for w in with_block),
            duration)
        llr = scorer(window, with_text, without, head=SKIP_HEAD)
    except ValueError:
        return NarrationIssue("skipped", at, at, a, expected, "", base)
    return NarrationIssue("skipped", at, at, a, expected, "",
                          round(verified_confidence("skipped", base, llr), 4), round(llr, 3))


def _without_garbles(issues: list[NarrationIssue],
                     zone: tuple[float, float]) -> list[NarrationIssue]:
    """The issues less those the garbled speech in ``zone`` gave rise to."""
    return [x for x in issues if not (x.type in _GARBLE_ISSUES and _inside(x, zone))]


def _inside(issue: NarrationIssue, zone: tuple[float, float]) -> bool:
    return zone[0] - 0.05 <= issue.start and issue.end <= zone[1] + 0.05


def _read_across(ctx: Context, kept: list[int], t0: float, t1: float) -> None:
    """Article words ``kept`` (in order) confirmed, timed by length across [t0, t1];
    the sentences they make up whole are read."""
    words = ctx.timed_words
    chars = [len(words[w].text) for w in kept]
    step = (t1 - t0) / max(1, sum(chars))
    t = t0
    for wi, n in zip(kept, chars, strict=True):
        words[wi] = TimedWord(words[wi].text, t, t + n * step, None, confirmed=True)
        t += n * step
    inside = set(kept)
    for k, src in enumerate(ctx.source.sentences):
        if all(w in inside for w in range(src.first_word, src.last_word + 1)):
            ctx.sentences[k] = dataclasses.replace(
                ctx.sentences[k], start=words[src.first_word].start,
                end=words[src.last_word].end, status="read")
