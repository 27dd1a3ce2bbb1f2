"""Multi-word substitutions: a phrase read differently is one issue, not several.

A narrator who paraphrases ("the hiss of hidden leaks" read as "the sound of leaking
water") leaves the aligner a few substituted words with a matched word or two between
them ("of"). Reported word by word, the producer gets two half-issues, neither with the
whole phrase to re-record, and the verifier scores each fragment against the wrong
text. This pass joins substitutions of one sentence that lie close together into one
``substituted`` issue holding both phrases, up to ``MAX_WORDS`` words a side.

A garbled passage looks like two issues too: article words nobody heard (a skip) right
next to heard words the article lacks (an insertion), where Whisper wrote something else
for what was read. That is the same question as a substitution (did the audio say the
article's words or these?), so ``merge_garbles`` makes one ``substituted`` issue of a
skip and an insertion that touch, up to ``MAX_GARBLE_WORDS`` a side, and the verifier
scores the article's words against the heard ones instead of against silence.
"""

from __future__ import annotations

from audio_pipeline.align.context import Context
from audio_pipeline.types import NarrationIssue

MAX_WORDS = 6  # per side: beyond that it is a rewritten sentence, reported in pieces
MAX_GAP = 1.0  # s between two substitutions of one phrase
MAX_BETWEEN = 2  # matched article words allowed between them
MAX_GARBLE_WORDS = 12  # per side; a longer skip next to a few words stays a skip
TOUCH = 0.5  # s: a skip and an insertion this close are one passage


def merge_garbles(issues: list[NarrationIssue]) -> list[NarrationIssue]:
    """A skip and an insertion that touch, as one substitution (see the module doc)."""
    skips = [i for i in issues if i.type == "skipped" and i.expected
             and len(i.expected.split()) <= MAX_GARBLE_WORDS]
    consumed: set[int] = set()  # id() of the issues merged away
    merged: list[NarrationIssue] = []
    for issue in issues:
        if issue.type != "inserted" or len(issue.heard.split()) > MAX_GARBLE_WORDS:
            continue
        near = [s for s in skips if id(s) not in consumed
                and s.start - TOUCH <= issue.end and issue.start <= s.end + TOUCH]
        if not near:
            continue
        skip = min(near, key=lambda s: abs(s.start - issue.start))
        consumed.update((id(skip), id(issue)))
        merged.append(NarrationIssue(
            "substituted", min(skip.start, issue.start), max(skip.end, issue.end),
            skip.sentence, skip.expected, issue.heard, max(skip.confidence, issue.confidence)))
    out = [i for i in issues if id(i) not in consumed] + merged
    out.sort(key=lambda i: (i.start, i.end))
    return out


def merge_substitutions(ctx: Context, issues: list[NarrationIssue]) -> list[NarrationIssue]:
    subs = sorted((i for i in issues if i.type == "substituted"), key=lambda i: i.start)
    others = [i for i in issues if i.type != "substituted"]
    merged: list[NarrationIssue] = []
    for issue in subs:
        if merged and _joinable(ctx, merged[-1], issue):
            joined = _join(ctx, merged[-1], issue)
            if joined is not None:
                merged[-1] = joined
                continue
        merged.append(issue)
    out = others + merged
    out.sort(key=lambda i: (i.start, i.end))
    return out


def _joinable(ctx: Context, a: NarrationIssue, b: NarrationIssue) -> bool:
    if a.sentence != b.sentence or b.start - a.end > MAX_GAP:
        return False
    between = _article_words(ctx, a.sentence, a.end, b.start)
    return len(between) <= MAX_BETWEEN


def _join(ctx: Context, a: NarrationIssue, b: NarrationIssue) -> NarrationIssue | None:
    expected = _article_words(ctx, a.sentence, a.start, b.end, edge_words=(a, b))
    heard = [w.text for w in ctx.words if w.start >= a.start - 1e-6 and w.end <= b.end + 1e-6]
    if not expected or not heard or len(expected) > MAX_WORDS or len(heard) > MAX_WORDS:
        return None
    return NarrationIssue("substituted", a.start, b.end, a.sentence, " ".join(expected),
                          " ".join(heard), max(a.confidence, b.confidence))


def _article_words(ctx: Context, sentence: int | None, t0: float, t1: float,
                   edge_words: tuple[NarrationIssue, NarrationIssue] | None = None) -> list[str]:
    """The sentence's article words timed inside [t0, t1]; with ``edge_words``, from the
    first issue's first expected word to the second's last, whatever their times (an
    interpolated word may sit a little outside the heard span)."""
    if sentence is None:
        return []
    src = ctx.source.sentences[sentence]
    span = range(src.first_word, src.last_word + 1)
    inside = [i for i in span
              if ctx.timed_words[i].start is not None and ctx.timed_words[i].end is not None
              and ctx.timed_words[i].start >= t0 - 1e-6  # type: ignore[operator]
              and ctx.timed_words[i].end <= t1 + 1e-6]  # type: ignore[operator]
    if edge_words is None:
        return [ctx.source.words[i].text for i in inside
                if ctx.timed_words[i].heard is not None]
    first, last = edge_words[0].expected.split(), edge_words[1].expected.split()
    texts = [ctx.source.words[i].text for i in span]
    lo = _find(texts, first, inside[0] - src.first_word if inside else 0)
    hi = _find(texts, last, lo if lo is not None else 0)
    if lo is None or hi is None or hi < lo:
        return []
    return texts[lo: hi + len(last)]


def _find(texts: list[str], words: list[str], near: int) -> int | None:
    """Index in ``texts`` where ``words`` occur, the occurrence nearest ``near``."""
    hits = [k for k in range(len(texts) - len(words) + 1) if texts[k:k + len(words)] == words]
    return min(hits, key=lambda k: abs(k - near)) if hits else None
