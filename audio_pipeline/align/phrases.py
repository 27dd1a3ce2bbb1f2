"""Multi-word substitutions: a phrase read differently is one issue, not several.

A narrator who paraphrases ("the hiss of hidden leaks" read as "the sound of leaking
water") leaves the aligner a few substituted words with a matched word or two between
them ("of"). Reported word by word, the producer gets two half-issues, neither with the
whole phrase to re-record, and the verifier scores each fragment against the wrong
text. This pass joins substitutions of one sentence that lie close together into one
``substituted`` issue holding both phrases, up to ``MAX_WORDS`` words a side.
"""

from __future__ import annotations

from audio_pipeline.align.context import Context
from audio_pipeline.types import NarrationIssue

MAX_WORDS = 6  # per side: beyond that it is a rewritten sentence, reported in pieces
MAX_GAP = 1.0  # s between two substitutions of one phrase
MAX_BETWEEN = 2  # matched article words allowed between them


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
