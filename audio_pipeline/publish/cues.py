"""Caption cues from timed segments, by the rules listeners who read captions rely on.

Each cue holds at most two lines of 42 characters and is shown for 1 to 7 seconds; cues
never overlap and are never empty. A sentence too long for one cue is cut where a reader
expects a pause: after a sentence or clause mark, else before a conjunction or a
preposition, and only as a last resort mid-phrase (a small dynamic programme picks the
cheapest set of cuts, so the rule holds for the whole sentence, not just greedily).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from audio_pipeline.types import Segment, Word

LINE_CHARS = 42
MAX_LINES = 2
CUE_CHARS = MAX_LINES * LINE_CHARS
MIN_SECONDS = 1.0
CUE_SECONDS = 7.0
SENTENCE_ENDS = (".", "?", "!", "…")
CLAUSE_ENDS = (*SENTENCE_ENDS, ",", ";", ":", "—", "–")
_CLOSERS = "\"'”’)]"
# Words a clause or phrase starts with: a cut before one reads as a natural pause.
_CLAUSE_STARTS = frozenset(
    "and but or nor so yet because which that who whom whose when where while if as since "
    "although though unless until whereas than then".split()
)
_PHRASE_STARTS = frozenset(
    "to of in on at for with from by about into over under between through after before "
    "during without within across against among the a an".split()
)


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def wrap(text: str) -> list[str]:
    return textwrap.wrap(text, LINE_CHARS, break_long_words=False) or [text]


def fits(text: str) -> bool:
    return len(wrap(text)) <= MAX_LINES and all(len(line) <= LINE_CHARS for line in wrap(text))


def is_clause_end(text: str) -> bool:
    return text.rstrip(_CLOSERS).endswith(CLAUSE_ENDS)


def split_cues(segments: Sequence[Segment]) -> list[Cue]:
    """Break segments into cues that keep every rule above (see ``_timed``)."""
    cues: list[Cue] = []
    for seg in segments:
        text = " ".join(seg.text.split())
        if not text:
            continue
        if fits(text) and seg.end - seg.start <= CUE_SECONDS:
            cues.append(Cue(seg.start, seg.end, text))
            continue
        words = [w for w in seg.words if w.text.strip()] or _even_words(seg, text)
        cues.extend(_cut(words))
    return _timed(cues)


def _even_words(seg: Segment, text: str) -> list[Word]:
    """A segment without word times (some engines give none): spread its words evenly."""
    parts = text.split()
    step = max(seg.end - seg.start, 0.0) / len(parts)
    return [Word(p, seg.start + k * step, seg.start + (k + 1) * step) for k, p in enumerate(parts)]


def _break_cost(last: Word, following: Word | None) -> float:
    """How bad a cut after ``last`` reads: free at the end, cheap after a clause mark."""
    if following is None or last.text.rstrip(_CLOSERS).endswith(SENTENCE_ENDS):
        return 0.0
    if is_clause_end(last.text):
        return 0.5
    head = following.text.lower().strip("\"'“‘(")
    if head in _CLAUSE_STARTS:
        return 2.0
    if head in _PHRASE_STARTS:
        return 3.0
    return 6.0


def _cut(words: Sequence[Word]) -> list[Cue]:
    """The cheapest cuts of ``words`` into cues that fit: each cue costs 1 (fewer cues
    read better), plus its cut's cost, plus a penalty when it is shorter than a second."""
    n = len(words)
    inf = float("inf")
    best = [0.0] + [inf] * n
    back = [0] * (n + 1)
    for i in range(1, n + 1):
        for j in range(i - 1, -1, -1):
            text = " ".join(w.text for w in words[j:i])
            if len(text) > CUE_CHARS + LINE_CHARS:
                break  # longer chunks cannot fit either
            span = words[i - 1].end - words[j].start
            single = i - j == 1
            if not single and (not fits(text) or span > CUE_SECONDS):
                continue
            if best[j] == inf:
                continue
            cost = best[j] + 1.0 + _break_cost(words[i - 1], words[i] if i < n else None)
            if span < MIN_SECONDS:
                cost += 4.0
            if cost < best[i]:
                best[i], back[i] = cost, j
    cuts: list[Cue] = []
    i = n
    while i > 0:
        j = back[i]
        chunk = words[j:i]
        cuts.append(Cue(chunk[0].start, chunk[-1].end, " ".join(w.text for w in chunk)))
        i = j
    return cuts[::-1]


def _timed(cues: list[Cue]) -> list[Cue]:
    """Order cues and make each last 1 to 7 seconds without overlapping: a short cue
    borrows the silence after (then before) it, else joins a neighbour it fits with,
    else takes its second and pushes the next cue back (which then gets the same care)."""
    out = [c for c in sorted(cues, key=lambda c: (c.start, c.end)) if c.text.strip()]
    for k in range(len(out)):  # no overlap, never before zero
        floor = out[k - 1].end if k else 0.0
        start = max(out[k].start, floor)
        out[k] = Cue(start, max(out[k].end, start), out[k].text)
    k = 0
    while k < len(out):
        cue = out[k]
        nxt = out[k + 1] if k + 1 < len(out) else None
        prev = out[k - 1] if k else None
        if cue.end - cue.start > CUE_SECONDS:
            out[k] = cue = Cue(cue.start, cue.start + CUE_SECONDS, cue.text)
        if cue.end - cue.start >= MIN_SECONDS - 1e-9:
            k += 1
            continue
        ceiling = nxt.start if nxt else float("inf")
        end = min(ceiling, cue.start + MIN_SECONDS)
        start = max(prev.end if prev else 0.0, min(cue.start, end - MIN_SECONDS))
        if end - start >= MIN_SECONDS - 1e-9:
            out[k] = Cue(start, end, cue.text)
            k += 1
            continue
        if nxt and fits(f"{cue.text} {nxt.text}") and nxt.end - start <= CUE_SECONDS:
            out[k : k + 2] = [Cue(start, nxt.end, f"{cue.text} {nxt.text}")]
            continue  # the joined cue is checked again
        if prev and fits(f"{prev.text} {cue.text}") and end - prev.start <= CUE_SECONDS:
            out[k - 1 : k + 1] = [Cue(prev.start, max(end, prev.start + MIN_SECONDS),
                                      f"{prev.text} {cue.text}")]
            k -= 1
            continue
        out[k] = Cue(start, start + MIN_SECONDS, cue.text)
        if nxt is not None and nxt.start < start + MIN_SECONDS:
            out[k + 1] = Cue(start + MIN_SECONDS, max(nxt.end, start + MIN_SECONDS), nxt.text)
        k += 1
    return out
