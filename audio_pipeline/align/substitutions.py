"""Substituted words: a heard word that differs from the article's word it is paired with.

The rules are align.issues' (its module doc): confidence from how different the words are
and how sure Whisper was, less where the neighbouring words were misheard too; a heard
word that is the article's neighbouring word is the pairing off by one. Whisper writes a
compound it splits into pieces ("Sprachmodelle" heard "Streich" "-Mobil"); the pieces
beside a paired one, paired with nothing, are part of what was heard there.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from audio_pipeline.align.context import Context
from audio_pipeline.align.language import profile
from audio_pipeline.align.misread import REPORTED, dissimilarity, misread_confidence
from audio_pipeline.align.textnorm import text_tokens
from audio_pipeline.types import NarrationIssue, Word


def _neighbour_heard(ctx: Context, wi: int, heard: str) -> bool:
    """Whether ``heard`` is an article word next to word ``wi`` (within two words), as
    written or misheard the way Whisper mishears (``dissimilarity`` 0: "инстагументами"
    for "инструментами"). Then the pairing is off by a word ("that" paired with
    "investigation" in "The investigation that followed", where Whisper merged or
    dropped a word nearby), and the audio would confirm the heard word, which the
    narrator did read, in its place."""
    if not "".join(text_tokens(heard, ctx.language)):
        return False
    words = ctx.source.words
    return any(dissimilarity(words[j].text, heard, ctx.language) == 0.0
               for j in range(max(0, wi - 2), min(len(words), wi + 3)) if j != wi)


def substituted(ctx: Context) -> list[NarrationIssue]:
    out: list[NarrationIssue] = []
    src_words = ctx.source.words
    scored: dict[int, tuple[float, list[Word]]] = {}
    function_words = profile(ctx.language).function_words
    exact: set[int] = set()
    for wi, plist in sorted(ctx.word_pairs.items()):
        if ctx.sentences[src_words[wi].sentence].status == "skipped":
            continue
        if all(p.sim >= 1.0 for p in plist):
            exact.add(wi)
            continue
        hs = sorted({h for p in plist for h in range(p.h0, p.h1)})
        ids = _with_split_pieces(ctx, sorted({ctx.hyp_word[h] for h in hs}))
        heard_words = [ctx.words[i] for i in ids]
        heard = " ".join(w.text for w in heard_words)
        if _neighbour_heard(ctx, wi, heard):
            continue
        # a word amid words Whisper itself doubts is more likely misheard than misread.
        # The article's function word after it, heard otherwise, is the exception: the
        # decoder reads left to right, and after a word its language model did not
        # expect (a misread as much as a mishearing) its guess at a short word is a weak
        # one ("herramientas en estos" for "herramientas de estos")
        lo, hi = ids[0], ids[-1]
        after = 0 if _function_word_after(ctx, wi, function_words) else 1
        around = ctx.words[max(0, lo - 1) : hi + 1 + after]
        prob = min(
            sum(w.probability for w in heard_words) / len(heard_words),
            sum(w.probability for w in around) / len(around),
        )
        scored[wi] = (
            misread_confidence(src_words[wi].text, heard, prob, ctx.language,
                               ctx.typical_probability), heard_words
        )
    flagged: list[tuple[int, float, list[Word]]] = []
    for wi, (conf, heard_words) in scored.items():
        if conf < REPORTED:
            continue
        # a misread is a clean word among clean words; mishearings come in clusters
        # (a function word after it excepted, as above)
        sentence = src_words[wi].sentence
        for wj in (wi - 1, wi + 1):
            if 0 <= wj < len(src_words) and src_words[wj].sentence == sentence:
                if wj == wi + 1 and _function_word_after(ctx, wi, function_words):
                    continue
                if wj not in exact and scored.get(wj, (0.0,))[0] < REPORTED:
                    conf *= 0.6
        if conf >= REPORTED:
            flagged.append((wi, conf, heard_words))
    k = 0
    while k < len(flagged):
        e = k + 1
        while e < len(flagged) and flagged[e][0] == flagged[e - 1][0] + 1:
            e += 1
        group = flagged[k:e]
        heard_words = list(dict.fromkeys(w for g in group for w in g[2]))
        first = src_words[group[0][0]]
        out.append(
            NarrationIssue(
                "substituted",
                heard_words[0].start,
                heard_words[-1].end,
                first.sentence,
                " ".join(src_words[g[0]].text for g in group),
                " ".join(w.text for w in heard_words),
                max(g[1] for g in group),
            )
        )
        k = e
    return out


def _function_word_after(ctx: Context, wi: int, function_words: frozenset[str]) -> bool:
    """Whether the article word after ``wi``, in its sentence, is a function word that
    Whisper did not hear as written."""
    words = ctx.source.words
    nxt = wi + 1
    return (nxt < len(words) and words[nxt].sentence == words[wi].sentence
            and "".join(words[nxt].spoken) in function_words
            and not all(p.sim >= 1.0 for p in ctx.word_pairs.get(nxt, [])))


def _unpaired(ctx: Context, k: int) -> bool:
    """Whether none of transcript word ``k``'s tokens is paired with the article."""
    h0, h1 = bisect_left(ctx.hyp_word, k), bisect_right(ctx.hyp_word, k)
    return h0 < h1 and all(ctx.h_pair[h] < 0 for h in range(h0, h1))


def _with_split_pieces(ctx: Context, ids: list[int]) -> list[int]:
    """Transcript words ``ids`` with the pieces of a word Whisper split either side:
    a piece is written with a leading hyphen ("Streich" "-Mobil", "fine" "-tune"), and
    one paired with nothing belongs to the heard word it continues or that continues
    it. Without them the heard side is a fragment ("-Mobil" for "Methoden"), which
    reads as Whisper's filler and is scored against audio holding the whole word."""
    lo, hi = ids[0], ids[-1]
    words = ctx.words
    while lo > 0 and words[lo].text.lstrip().startswith("-") and _unpaired(ctx, lo - 1):
        lo -= 1
    while (hi + 1 < len(words) and words[hi + 1].text.lstrip().startswith("-")
           and _unpaired(ctx, hi + 1)):
        hi += 1
    return sorted({*ids, *range(lo, ids[0]), *range(ids[-1] + 1, hi + 1)})
