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
"""

from __future__ import annotations

from audio_pipeline.align.context import Context
from audio_pipeline.align.verify import (
    CALIBRATION,
    SKIP_HEAD,
    SpanScorer,
    build_candidates,
)

MAX_RUN = 12  # article words, and transcript words, a side: a longer run is not a garble


def unheard_runs(ctx: Context) -> list[tuple[int, int]]:
    """[i, e) runs of article words inside read or partial sentences that nothing in the
    transcript was paired with."""
    words, sentences = ctx.timed_words, ctx.sentences
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        if (words[i].heard is not None
                or sentences[ctx.source.words[i].sentence].status == "skipped"):
            i += 1
            continue
        e = i
        while (e < len(words) and words[e].heard is None
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

