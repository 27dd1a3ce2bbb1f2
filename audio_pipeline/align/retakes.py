"""Retakes: a passage read twice, the first attempt abandoned.

A run of transcript speech that matches no source text is a retake when

1. it *ends* by reading again the text matched just before it (the anchors may even have
   split the two readings between them): the source moves to the later reading and the
   span from the earlier reading up to the later one is the cut; or
2. it *starts* an attempt at the text that follows it and then gives up ("sorry, again"):
   the span from that attempt to the kept reading is the cut.

Readings are compared word by word with the aligner's fuzzy similarity, allowing two
slips, and must share three tokens (or two of four letters or more) covering half the
run they claim, so an ad-lib that merely begins like the next sentence stays an ad-lib.
"""

from __future__ import annotations

from audio_pipeline.align.context import Context, Retake
from audio_pipeline.align.tokenalign import Pair, similarity

_MATCH = 0.7


def _greedy(hyp: list[str], src: list[str], language: str = "en") -> list[tuple[int, int]]:
    """Walk both sequences from their start while they read the same words."""
    out: list[tuple[int, int]] = []
    i = j = misses = 0
    while i < len(hyp) and j < len(src) and misses <= 2:
        if similarity(hyp[i], src[j], language) >= _MATCH:
            out.append((i, j))
            i, j = i + 1, j + 1
        elif i + 1 < len(hyp) and similarity(hyp[i + 1], src[j], language) >= _MATCH:
            i, misses = i + 1, misses + 1
        elif j + 1 < len(src) and similarity(hyp[i], src[j + 1], language) >= _MATCH:
            j, misses = j + 1, misses + 1
        else:
            break
    return out


def _convincing(matches: list[tuple[int, int]], hyp: list[str]) -> bool:
    """Three shared tokens, or two that are not short function words ("the model")."""
    content = [hyp[i] for i, _ in matches if len(hyp[i]) >= 4]
    return len(matches) >= 3 or len(content) >= 2


def find_retakes(ctx: Context) -> tuple[list[Pair], list[Retake]]:
    """Retakes among the unmatched runs; the later reading keeps the source times."""
    pairs = sorted(ctx.pairs, key=lambda p: p.h0)
    retakes: list[Retake] = []
    k = 0
    while k + 1 < len(pairs):
        a, b = pairs[k].h1, pairs[k + 1].h0  # unmatched transcript tokens a..b-1
        if b - a >= 2:
            # (1) the run ends by reading again the text matched just before it (the
            # anchors may even have split the two readings): move the source to the
            # later reading, cut from the earlier one
            p_end = pairs[k].s1
            lo = max(0, p_end - (b - a) - 5)
            back = _greedy(ctx.hyp[a:b][::-1], ctx.src[lo:p_end][::-1], ctx.language)
            convincing = _convincing(back, ctx.hyp[a:b][::-1])
            # too short to call a retake, but the text read right on into what follows:
            # that reading is the real one ("The river is lovely. The river of ...")
            continuing = bool(back) and back[0] == (0, 0) and pairs[k + 1].s0 == p_end
            if (convincing or continuing) and len(back) >= 0.5 * (back[-1][0] + 1):
                new = sorted(
                    (
                        Pair(
                            p_end - 1 - js,
                            p_end - js,
                            b - 1 - ih,
                            b - ih,
                            similarity(
                                ctx.src[p_end - 1 - js], ctx.hyp[b - 1 - ih], ctx.language
                            ),
                        )
                        for ih, js in back
                    ),
                    key=lambda p: p.h0,
                )
                first_old = next(
                    i for i in range(k, -1, -1) if i == 0 or pairs[i - 1].s0 < new[0].s0
                )
                if pairs[first_old].s0 >= new[0].s0:
                    if convincing:
                        retakes.append(Retake(pairs[first_old].h0, new[0].h0, new[0].s0, len(back)))
                    pairs = pairs[:first_old] + new + pairs[k + 1 :]
                    k = first_old + len(new)
                    continue
            # (2) the run starts an attempt at the text that follows it, then gives up
            q = pairs[k + 1].s0
            window = ctx.src[q : q + (b - a) + 5]
            for o in range(b - a - 1):
                if similarity(ctx.hyp[a + o], ctx.src[q], ctx.language) < _MATCH:
                    continue
                got = _greedy(ctx.hyp[a + o : b], window, ctx.language)
                if _convincing(got, ctx.hyp[a + o : b]) and len(got) >= 0.5 * (got[-1][0] + 1):
                    retakes.append(Retake(a + o, b, q, len(got)))
                    break
        k += 1
    return pairs, retakes
