"""Narration issues in an alignment: what a narrator or editor must fix, and what is expected.

Issue rules (times in seconds of the raw recording):

- ``intro`` / ``outro``: speech before the first / after the last word matched to the
  article. Expected, reported, never counted as errors.
- ``repeated``: a retake. A run of unmatched speech whose start re-reads the source that
  follows it, or whose end re-reads the source matched just before it (then the later
  reading takes over the source times). The interval is what to cut: from the first,
  abandoned attempt up to the start of the kept reading, any "sorry, again" included.
- ``inserted``: other unmatched speech inside the body: two words or more (fillers such as
  "um" do not count, nor the rest of a word Whisper garbled into pieces); 3+ words are
  confident.
- ``skipped``: consecutive skipped sentences (one issue), or 3+ consecutive unheard words
  inside a read sentence. The interval is where the text should have been. A skipped
  heading alone is a note until the audio confirms it (Whisper drops short headings).
- ``substituted``: a heard word that differs from the source word. Whisper mishears names
  and rare words as something that *sounds* alike, often with low probability; a narrator
  who misreads says a different word clearly. So confidence grows with dissimilarity
  ``d = 1 - max(Levenshtein similarity, Metaphone similarity)`` and with Whisper's word
  probability ``p`` (the lower of the heard words' mean and that of the words around
  them): ``clamp(2 (d - 0.25)) * clamp((p - 0.5) / 0.4)``, halved when all that was heard
  is a function word or a fragment (Whisper's filler for sounds it cannot place), and
  x0.6 per neighbouring source word that was not heard exactly: a misread is a clean
  word among clean words, while mishearings come in clusters.
  "Christiano" heard as "Cristiano" scores ~0; "look" read as "glance" at p = 0.8 ~0.6.
  Only scores >= 0.25 are reported; >= 0.5 counts as an issue to fix. The probability
  stays a gate even when the audio will verify the issue: the verifier is the model
  that misheard, and where it was unsure it confirms its own guess (sending every
  dissimilar pair to it added 6 false flags and no true one in 20 minutes of
  ``benchmarks/fidelity.py``). A heard word that is the article's neighbouring word is
  the pairing off by one, never a substitution.
- ``long_pause``: a gap of at least ``long_pause`` seconds between two transcript words
  inside the body.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

from audio_pipeline.align.context import Context
from audio_pipeline.align.language import profile
from audio_pipeline.align.misread import REPORTED, misread_confidence
from audio_pipeline.align.substitutions import substituted
from audio_pipeline.align.textnorm import text_tokens
from audio_pipeline.align.tokenalign import Pair
from audio_pipeline.types import NarrationIssue, Word

# A heading not heard: read aloud it becomes a chapter, so leaving it out is a defect; but Whisper
# often drops a short heading. Unverified a note; verified (align.verify) it is to fix.
HEADING_UNVERIFIED = 0.45
SKIPPED_SENTENCE = 0.95  # a sentence not heard at all, before the audio is asked


# --------------------------------------------------------------------------- issues


def _words_text(ctx: Context, h0: int, h1: int) -> tuple[str, list[Word]]:
    ids = sorted({ctx.hyp_word[h] for h in range(h0, h1)})
    ws = [ctx.words[i] for i in ids]
    return " ".join(w.text for w in ws), ws


def detect_issues(ctx: Context) -> list[NarrationIssue]:
    issues: list[NarrationIssue] = []
    paired = [h for h in range(len(ctx.hyp)) if ctx.h_pair[h] >= 0]
    if not paired:
        return issues
    first_h, last_h = paired[0], paired[-1]
    if first_h > 0:
        text, ws = _words_text(ctx, 0, first_h)
        end = ctx.hyp_end[first_h - 1]
        # a number's spoken tokens share its word's span, so the edges can cross: clamp
        issues.append(NarrationIssue("intro", min(ws[0].start, end), end, None, "", text, 1.0))
    if last_h < len(ctx.hyp) - 1:
        text, ws = _words_text(ctx, last_h + 1, len(ctx.hyp))
        start = ctx.hyp_start[last_h + 1]
        issues.append(NarrationIssue("outro", start, max(ws[-1].end, start), None, "", text, 1.0))

    cut = [False] * len(ctx.hyp)
    for r in ctx.retakes:
        cut[r.h0 : r.h1] = [True] * (r.h1 - r.h0)
        text, _ = _words_text(ctx, r.h0, r.h1)
        sw = ctx.source.words[ctx.src_word[r.s0]]
        issues.append(
            NarrationIssue(
                "repeated",
                ctx.hyp_start[r.h0],
                ctx.hyp_start[r.h1],
                sw.sentence,
                ctx.source.sentences[sw.sentence].text,
                text,
                0.9 if r.matched >= 3 else 0.6,
            )
        )
    garbled, garbled_words, misheard = _replacements(ctx, cut)
    issues += misheard
    issues += _inserted(ctx, first_h, last_h, [c or g for c, g in zip(cut, garbled, strict=True)])
    issues += _skipped(ctx, garbled_words)
    issues += substituted(ctx)
    issues += _pauses(ctx, first_h, last_h)
    issues.sort(key=lambda i: (i.start, i.end))
    return issues


def _replacements(
    ctx: Context, cut: list[bool]
) -> tuple[list[bool], set[int], list[NarrationIssue]]:
    """Unmatched speech exactly where a few source words went unmatched is those words,
    garbled by Whisper (or misread): not an ad-lib plus a skip. Returns the transcript
    tokens and source words so explained, and a substitution issue when it looks read
    differently rather than misheard."""
    garbled = [False] * len(ctx.hyp)
    words: set[int] = set()
    issues: list[NarrationIssue] = []
    sentences, src_word, words_ = ctx.sentences, ctx.src_word, ctx.source.words
    # pairings inside skipped sentences are chance matches; look across them
    pairs = sorted(
        (p for p in ctx.pairs if sentences[words_[src_word[p.s0]].sentence].status != "skipped"),
        key=lambda p: p.h0,
    )
    for p, q in zip(pairs, pairs[1:], strict=False):
        hs = [h for h in range(p.h1, q.h0) if not cut[h]]
        if hs and q.s0 <= p.s1 and _garbled_word_edge(ctx, hs, p, q):
            garbled[hs[0] : hs[-1] + 1] = [True] * (hs[-1] + 1 - hs[0])
            continue
        if not hs or q.s0 <= p.s1:
            continue
        # whole skipped sentences here are reported as skips; the rest may be garbled
        src_words = sorted(
            w
            for w in {ctx.src_word[i] for i in range(p.s1, q.s0)}
            if ctx.sentences[ctx.source.words[w].sentence].status != "skipped"
        )
        if not src_words:
            continue
        heard_ids = sorted({ctx.hyp_word[h] for h in hs})
        if len(src_words) > 8 or len(heard_ids) > 8:
            continue
        # as many words, or as much sound: one long word ("Исследователи") is often
        # garbled into several short ones ("И с этого те")
        src_chars = sum(len(ctx.src[i]) for i in range(p.s1, q.s0)
                        if ctx.src_word[i] in src_words)
        heard_chars = sum(len(ctx.hyp[h]) for h in hs)
        if not (0.4 <= len(heard_ids) / len(src_words) <= 2.5
                or 0.5 <= heard_chars / max(1, src_chars) <= 2.0):
            continue
        for h in hs:
            garbled[h] = True
        words.update(src_words)
        heard = [ctx.words[i] for i in heard_ids]
        expected = " ".join(ctx.source.words[w].text for w in src_words)
        prob = sum(w.probability for w in heard) / len(heard)
        heard_text = " ".join(w.text for w in heard)
        conf = misread_confidence(expected, heard_text, prob, ctx.language,
                                  ctx.typical_probability)
        if conf >= REPORTED:
            issues.append(
                NarrationIssue(
                    "substituted",
                    heard[0].start,
                    heard[-1].end,
                    ctx.source.words[src_words[0]].sentence,
                    expected,
                    heard_text,
                    conf,
                )
            )
    return garbled, words, issues


def _garbled_word_edge(ctx: Context, hs: list[int], p: Pair, q: Pair) -> bool:
    """Whether unmatched speech of a word or two is the rest of a word Whisper garbled
    next to it ("Исследователи" heard "И с недомателем": "недомателем" is paired with
    it, "И с" left over), not an ad-lib: it runs into that word without a pause, the
    word was paired inexactly, and only with it does the heard sound reach the word's
    length."""
    if len({ctx.hyp_word[h] for h in hs}) > 2:
        return False
    extra = sum(len(ctx.hyp[h]) for h in hs)
    sides = ((ctx.src_word[q.s0], ctx.hyp_start[q.h0] - ctx.hyp_end[hs[-1]]),
             (ctx.src_word[p.s1 - 1], ctx.hyp_start[hs[0]] - ctx.hyp_end[p.h1 - 1]))
    for wi, gap in sides:
        plist = ctx.word_pairs.get(wi, [])
        if gap > 0.15 or not plist or all(x.sim >= 1.0 for x in plist):
            continue
        want = len("".join(ctx.source.words[wi].spoken))
        got = sum(len(ctx.hyp[h]) for x in plist for h in range(x.h0, x.h1))
        if got < want and abs(got + extra - want) < want - got and got + extra <= 1.5 * want:
            return True
    return False


def _inserted(ctx: Context, first_h: int, last_h: int, cut: list[bool]) -> list[NarrationIssue]:
    out: list[NarrationIssue] = []
    h = first_h
    while h <= last_h:
        if ctx.h_pair[h] >= 0 or cut[h]:
            h += 1
            continue
        e = h
        while e <= last_h and ctx.h_pair[e] < 0 and not cut[e]:
            e += 1
        _, ws = _words_text(ctx, h, e)
        ws = _trim_garbled_edges(ctx, ws, ctx.h_pair[h - 1] if h else -1, ctx.h_pair[e])
        fillers = profile(ctx.language).fillers
        ws = [
            w for w in ws
            if (toks := text_tokens(w.text, ctx.language)) and not set(toks) <= fillers
        ]
        if len(ws) >= 2:
            prob = sum(w.probability for w in ws) / len(ws)
            conf = 0.85 if len(ws) >= 3 else 0.5 if prob >= 0.6 else 0.3
            text = " ".join(w.text for w in ws)
            out.append(
                NarrationIssue(
                    "inserted", ws[0].start, ws[-1].end, ctx.sentence_after(e), "", text, conf
                )
            )
        h = e
    return out


def _trim_garbled_edges(ctx: Context, ws: list[Word], s_prev: int, s_next: int) -> list[Word]:
    """Source words left unheard beside an ad-lib were spoken too, garbled into its edge
    ("Others expect" heard as "a mere next text"). Trim the ad-lib at the pause nearest
    that edge, within twice as many words, so the span to cut spares the text."""
    if s_next < 0 or len(ws) < 2:
        return ws
    words = ctx.source.words
    first = ctx.src_word[s_prev] + 1 if s_prev >= 0 else 0
    unheard = [
        i
        for i in range(first, ctx.src_word[s_next])
        if ctx.timed_words[i].heard is None and ctx.sentences[words[i].sentence].status != "skipped"
    ]
    tail = [i for i in unheard if words[i].sentence == words[ctx.src_word[s_next]].sentence]
    head = [i for i in unheard if i not in tail]
    if tail:
        lo = max(1, len(ws) - (2 * len(tail) + 1))
        cut = max(range(lo, len(ws)), key=lambda c: ws[c].start - ws[c - 1].end)
        if ws[cut].start - ws[cut - 1].end >= 0.1:
            ws = ws[:cut]
    if head and len(ws) >= 2:
        hi = min(len(ws) - 1, 2 * len(head) + 1)
        cut = max(range(1, hi + 1), key=lambda c: ws[c].start - ws[c - 1].end)
        if ws[cut].start - ws[cut - 1].end >= 0.1:
            ws = ws[cut:]
    return ws


def _skipped(ctx: Context, garbled_words: set[int]) -> list[NarrationIssue]:
    out: list[NarrationIssue] = []
    sents, words = ctx.sentences, ctx.timed_words
    k = 0
    while k < len(sents):
        if sents[k].status != "skipped":
            k += 1
            continue
        e = k
        while e < len(sents) and sents[e].status == "skipped":
            e += 1
        first_start = sents[k].start
        start: float = 0.0 if first_start is None else first_start
        later = [s.start for s in sents[e:] if s.start is not None and s.status != "skipped"]
        nxt: float = later[0] if later else start
        only_headings = all(s.kind == "heading" for s in sents[k:e])
        out.append(
            NarrationIssue(
                "skipped",
                start,
                max(start, nxt),
                k,
                " ".join(s.text for s in sents[k:e]),
                "",
                HEADING_UNVERIFIED if only_headings else SKIPPED_SENTENCE,
            )
        )
        k = e
    for s, src in zip(sents, ctx.source.sentences, strict=True):
        if s.status == "skipped":
            continue
        i = src.first_word
        while i <= src.last_word:
            if words[i].heard is not None or i in garbled_words:
                i += 1
                continue
            e = i
            while e <= src.last_word and words[e].heard is None and e not in garbled_words:
                e += 1
            if e - i >= 3:
                t0 = words[i - 1].end if i > src.first_word else words[i].start
                t1 = words[e].start if e <= src.last_word else words[e - 1].end
                out.append(
                    NarrationIssue(
                        "skipped",
                        float(t0 or 0.0),
                        float(t1 or t0 or 0.0),
                        s.index,
                        " ".join(w.text for w in words[i:e]),
                        "",
                        0.8 if e - i >= 5 else 0.6,
                    )
                )
            i = e
    return out


VOICED_GAP = 0.5  # share of a gap at speech level over which it is speech, not a pause


def drop_voiced_pauses(issues: list[NarrationIssue],
                       voiced: Callable[[float, float], float | None]) -> list[NarrationIssue]:
    """Long pauses whose gap the audio shows is mostly speech: where Whisper could not
    transcribe a stretch (a voice it hears badly) its words leave a gap full of voice,
    which is no silence to cut. ``voiced`` (onsets.SpeechOnsets.voiced_fraction) gives
    the share of an interval at speech level; a pause with a breath or a click stays."""
    out = []
    for issue in issues:
        share = voiced(issue.start, issue.end) if issue.type == "long_pause" else None
        if share is None or share <= VOICED_GAP:
            out.append(issue)
    return out


def _pauses(ctx: Context, first_h: int, last_h: int) -> list[NarrationIssue]:
    out: list[NarrationIssue] = []
    w0, w1 = ctx.hyp_word[first_h], ctx.hyp_word[last_h]
    for k in range(w0, w1):
        a, b = ctx.words[k], ctx.words[k + 1]
        gap = b.start - a.end
        if gap >= ctx.long_pause:
            after = min(bisect_right(ctx.hyp_word, k), last_h)  # first token of word k + 1
            out.append(
                NarrationIssue(
                    "long_pause",
                    a.end,
                    b.start,
                    ctx.sentence_after(after),
                    "",
                    f"{gap:.1f} s of silence",
                    0.9,
                )
            )
    return out
