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
    (or an intro, before the first matched word). Where a run of skipped sentences
    (with the unheard words either side) has unmatched speech in its place, of about
    the same sound length, the scorer compares the article's text with what Whisper
    wrote there, with the model's preference for either text as text removed. At or
    below the floor of a skip's evidence (no sign of one: the article's text is about
    as likely) the sentences were read: they become ``read``, their words ``confirmed``
    and timed across that speech, and the skip and ad-lib issues there are dropped.
    Above the floor, the skips there keep this comparison as their evidence (``llr``):
    with speech in the sentences' place, "were these sentences what was said?" is the
    question a skip asks, not "is something missing between these two words?"
    (align.verify). A real skip with an ad-lib in its place is found so: the audio
    says the ad-lib clearly.
    ``ctx.timed_words`` and ``ctx.sentences`` are updated; returns the issues left.
    """
    words, sentences = ctx.timed_words, ctx.sentences
    k = 0
    while k < len(sentences):
        if sentences[k].status != "skipped":
            k += 1
            continue
        e = k
        while e < len(sentences) and sentences[e].status == "skipped":
            e += 1
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
        article = " ".join(w.text for w in ctx.source.words[i:j])
        heard = ctx.words[h0:h1]
        ratio = sum(len(w.text.strip()) for w in heard) / max(1, len(article))
        if not SOUND_RATIO[0] <= ratio <= SOUND_RATIO[1]:
            continue
        try:
            window, article_text, heard_text = build_candidates(ctx.words, h0, h1, article,
                                                                duration)
            llr = scorer(window, article_text, heard_text, acoustic=True)
        except ValueError:  # a window over 30 s, a text longer than the decoder takes
            continue
        zone = (ctx.words[h0 - 1].end if h0 > 0 else 0.0,
                ctx.words[h1].start if h1 < len(ctx.words) else duration)
        if llr <= CALIBRATION["skipped"][0]:
            _read_across(ctx, i, j, heard[0].start, heard[-1].end)
            issues = [x for x in issues
                      if not (x.type in _GARBLE_ISSUES and _inside(x, zone))]
        else:  # the skips there were asked the right question: keep its answer
            issues = [dataclasses.replace(x, llr=round(llr, 3), confidence=round(
                          verified_confidence("skipped", x.confidence, llr), 4))
                      if x.type in _ANSWERED and x.llr is None and _inside(x, zone) else x
                      for x in issues]
    return issues


def _inside(issue: NarrationIssue, zone: tuple[float, float]) -> bool:
    return zone[0] - 0.05 <= issue.start and issue.end <= zone[1] + 0.05


def _read_across(ctx: Context, i: int, j: int, t0: float, t1: float) -> None:
    """Article words [i, j) confirmed, timed by length across [t0, t1]; the sentences
    they make up whole are read."""
    words = ctx.timed_words
    chars = [len(w.text) for w in words[i:j]]
    step = (t1 - t0) / max(1, sum(chars))
    t = t0
    for wi, n in zip(range(i, j), chars, strict=True):
        words[wi] = TimedWord(words[wi].text, t, t + n * step, None, confirmed=True)
        t += n * step
    for k, src in enumerate(ctx.source.sentences):
        if i <= src.first_word and src.last_word < j:
            ctx.sentences[k] = dataclasses.replace(
                ctx.sentences[k], start=words[src.first_word].start,
                end=words[src.last_word].end, status="read")
