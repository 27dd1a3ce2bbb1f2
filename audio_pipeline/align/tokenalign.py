"""Global alignment of two token sequences (source text vs transcript), near-linear.

1. Anchors: n-grams (n = 4, then 2, then 1 for tokens of 4+ letters) that occur exactly
   once in both sides of a region. The longest chain that increases on both sides
   (longest increasing subsequence, O(k log k)) is kept, so a stray repeated phrase cannot
   pull the alignment out of order, and one error never cascades: every anchor is found
   independently of the others (unlike autoregressive aligners that drift after a miss).
2. Between consecutive anchors the same search recurses with shorter n-grams; what is
   left and small is filled by Needleman-Wunsch with affine gaps (Gotoh) over fuzzy
   scores, with 2:1 and 1:2 merges so "chinchilla" can meet "chin chiller". A gap too
   large for the DP with no anchor at all is left unpaired (nothing in common to find).

Similarity of two tokens is the larger of their normalized Levenshtein similarity and
0.9 x that of their Metaphone keys, so misheard names ("Christiano"/"Cristiano") score
high while different words score low.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cdist

from audio_pipeline.align.textnorm import phonetic

MAX_DP_CELLS = 120_000
_GAP_OPEN = -2.0
_GAP_EXTEND = -0.25
_MERGE_MIN_SIM = 0.75
_NEG = -1e18


@dataclass(frozen=True)
class Pair:
    """Source tokens s0..s1 (exclusive) read as transcript tokens h0..h1 (1 or 2 each)."""

    s0: int
    s1: int
    h0: int
    h1: int
    sim: float


def similarity(a: str, b: str, language: str = "en") -> float:
    if a == b:
        return 1.0
    lev = Levenshtein.normalized_similarity(a, b)
    pa, pb = phonetic(a, language), phonetic(b, language)
    return max(lev, 0.9 * Levenshtein.normalized_similarity(pa, pb))


def _sim_matrix(a: list[str], b: list[str], language: str = "en") -> np.ndarray:
    if not a or not b:
        return np.zeros((len(a), len(b)))
    lev = cdist(a, b, scorer=Levenshtein.normalized_similarity, workers=1)
    ph = cdist(
        [phonetic(x, language) for x in a],
        [phonetic(y, language) for y in b],
        scorer=Levenshtein.normalized_similarity,
        workers=1,
    )
    return np.maximum(lev, 0.9 * ph)


def _pair_score(sim: float) -> float:
    # exact +1, a close mishearing (0.8) +0.5, unrelated words -1.5
    return 2.5 * sim - 1.5


def align_tokens(src: list[str], hyp: list[str], language: str = "en") -> list[Pair]:
    """Pairs in increasing order on both sides; unpaired tokens are gaps."""
    ids: dict[str, int] = {}
    s_ids = [ids.setdefault(t, len(ids)) for t in src]
    h_ids = [ids.setdefault(t, len(ids)) for t in hyp]
    long_token = [len(t) >= 4 for t in sorted(ids, key=ids.__getitem__)]
    out: list[Pair] = []
    _solve(src, hyp, s_ids, h_ids, long_token, 0, len(src), 0, len(hyp), 0, out, language)
    return out


@dataclass(frozen=True)
class _Region:
    """Transcript tokens before the first / after the last pairing cost nothing there:
    intro and outro speech is expected, and must not pull source words to itself."""

    free_lead: bool
    free_trail: bool


_LEVELS = (4, 2, 1)


def _solve(
    src: list[str],
    hyp: list[str],
    s_ids: list[int],
    h_ids: list[int],
    long_token: list[bool],
    s_lo: int,
    s_hi: int,
    h_lo: int,
    h_hi: int,
    level: int,
    out: list[Pair],
    language: str = "en",
) -> None:
    m, n = s_hi - s_lo, h_hi - h_lo
    if m == 0 or n == 0:
        return
    if m * n <= 400 or level >= len(_LEVELS):
        if m * n <= MAX_DP_CELLS:
            region = _Region(free_lead=h_lo == 0, free_trail=h_hi == len(hyp))
            out.extend(_gotoh(src, hyp, s_lo, s_hi, h_lo, h_hi, region, language))
        return
    chain = _anchor_chain(s_ids, h_ids, long_token, s_lo, s_hi, h_lo, h_hi, _LEVELS[level])
    if not chain:
        _solve(src, hyp, s_ids, h_ids, long_token, s_lo, s_hi, h_lo, h_hi, level + 1, out, language)
        return
    si, hi = s_lo, h_lo
    for i, j in chain:
        _solve(src, hyp, s_ids, h_ids, long_token, si, i, hi, j, level + 1, out, language)
        out.append(Pair(i, i + 1, j, j + 1, 1.0))
        si, hi = i + 1, j + 1
    _solve(src, hyp, s_ids, h_ids, long_token, si, s_hi, hi, h_hi, level + 1, out, language)


def _unique_ngrams(
    ids: list[int], lo: int, hi: int, n: int, long_token: list[bool]
) -> dict[tuple[int, ...], int]:
    seen: dict[tuple[int, ...], int] = {}
    for k in range(lo, hi - n + 1):
        gram = tuple(ids[k : k + n])
        if n == 1 and not long_token[gram[0]]:
            continue
        seen[gram] = -1 if gram in seen else k
    return {g: k for g, k in seen.items() if k >= 0}


def _anchor_chain(
    s_ids: list[int],
    h_ids: list[int],
    long_token: list[bool],
    s_lo: int,
    s_hi: int,
    h_lo: int,
    h_hi: int,
    n: int,
) -> list[tuple[int, int]]:
    """Token pairs (i, j) covered by unique shared n-grams, longest increasing chain."""
    s_grams = _unique_ngrams(s_ids, s_lo, s_hi, n, long_token)
    h_grams = _unique_ngrams(h_ids, h_lo, h_hi, n, long_token)
    starts = sorted((i, h_grams[g]) for g, i in s_grams.items() if g in h_grams)
    if not starts:
        return []
    chosen = _lis(starts)
    pairs: list[tuple[int, int]] = []
    for i, j in chosen:
        for t in range(n):
            if not pairs or (i + t > pairs[-1][0] and j + t > pairs[-1][1]):
                pairs.append((i + t, j + t))
    return pairs


def _lis(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest chain strictly increasing in the second coordinate (input sorted by first)."""
    tails: list[int] = []
    tail_idx: list[int] = []
    prev = [-1] * len(points)
    for k, (_, j) in enumerate(points):
        pos = bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_idx.append(k)
        else:
            tails[pos] = j
            tail_idx[pos] = k
        prev[k] = tail_idx[pos - 1] if pos else -1
    chain = []
    k = tail_idx[-1]
    while k >= 0:
        chain.append(points[k])
        k = prev[k]
    return chain[::-1]


def _gotoh(
    src: list[str],
    hyp: list[str],
    s_lo: int,
    s_hi: int,
    h_lo: int,
    h_hi: int,
    region: _Region = _Region(False, False),
    language: str = "en",
) -> list[Pair]:
    a, b = src[s_lo:s_hi], hyp[h_lo:h_hi]
    m, n = len(a), len(b)
    sim = _sim_matrix(a, b, language).tolist()
    # merges: one source token heard as two (a[i] vs b[j]+b[j+1]) and the reverse
    b2 = [b[j] + b[j + 1] for j in range(n - 1)]
    a2 = [a[i] + a[i + 1] for i in range(m - 1)]
    sim12 = _sim_matrix(a, b2, language).tolist() if n > 1 else []
    sim21 = _sim_matrix(a2, b, language).tolist() if m > 1 else []
    w = n + 1
    M = [_NEG] * ((m + 1) * w)  # ends with a pair
    D = [_NEG] * ((m + 1) * w)  # ends with an unread source token
    Ins = [_NEG] * ((m + 1) * w)  # ends with an extra transcript token
    move = [0] * ((m + 1) * w)  # for M: 1 = 1:1, 2 = 2:1, 3 = 1:2
    M[0] = 0.0
    for i in range(m + 1):
        for j in range(n + 1):
            k = i * w + j
            if i:
                u = k - w
                D[k] = max(M[u] + _GAP_OPEN, D[u] + _GAP_EXTEND, Ins[u] + _GAP_OPEN)
            if j:
                u = k - 1
                if i == 0 and region.free_lead:
                    Ins[k] = 0.0
                else:
                    Ins[k] = max(M[u] + _GAP_OPEN, Ins[u] + _GAP_EXTEND, D[u] + _GAP_OPEN)
            if i and j:
                u = k - w - 1
                best = max(M[u], D[u], Ins[u]) + _pair_score(sim[i - 1][j - 1])
                mv = 1
                if i > 1 and sim21[i - 2][j - 1] >= _MERGE_MIN_SIM:
                    u = k - 2 * w - 1
                    cand = max(M[u], D[u], Ins[u]) + _pair_score(sim21[i - 2][j - 1]) + 0.5
                    if cand > best:
                        best, mv = cand, 2
                if j > 1 and sim12[i - 1][j - 2] >= _MERGE_MIN_SIM:
                    u = k - w - 2
                    cand = max(M[u], D[u], Ins[u]) + _pair_score(sim12[i - 1][j - 2]) + 0.5
                    if cand > best:
                        best, mv = cand, 3
                M[k] = best
                move[k] = mv
    # traceback; at ties prefer pairing, so a re-read passage pairs its last reading
    pairs: list[Pair] = []
    i, j = m, n
    if region.free_trail:
        # the last pairing may end anywhere; what follows it is free outro speech
        j = max(range(n + 1), key=lambda c: (max(M[m * w + c], D[m * w + c], Ins[m * w + c]), c))
    k = i * w + j
    state = _argmax3(M[k], D[k], Ins[k])
    while i > 0 or j > 0:
        k = i * w + j
        if i == 0 and region.free_lead:
            break
        if state == 0:
            mv = move[k]
            di, dj = (1, 1) if mv == 1 else (2, 1) if mv == 2 else (1, 2)
            s = (
                sim[i - 1][j - 1]
                if mv == 1
                else sim21[i - 2][j - 1]
                if mv == 2
                else sim12[i - 1][j - 2]
            )
            pairs.append(Pair(s_lo + i - di, s_lo + i, h_lo + j - dj, h_lo + j, float(s)))
            i, j = i - di, j - dj
            u = i * w + j
            state = _argmax3(M[u], D[u], Ins[u]) if (i or j) else 0
        elif state == 1:
            u = k - w
            state = _argmax3(M[u] + _GAP_OPEN, D[u] + _GAP_EXTEND, Ins[u] + _GAP_OPEN)
            i -= 1
        else:
            u = k - 1
            state = _argmax3(M[u] + _GAP_OPEN, D[u] + _GAP_OPEN, Ins[u] + _GAP_EXTEND)
            j -= 1
    return pairs[::-1]


def _argmax3(x: float, y: float, z: float) -> int:
    if x >= y and x >= z:
        return 0
    return 1 if y >= z else 2


def drop_unrelated_runs(pairs: list[Pair], low: float = 0.45, run: int = 3) -> list[Pair]:
    """Three or more weak pairings in a row are two different texts, not mishearings."""
    keep = [True] * len(pairs)
    k = 0
    while k < len(pairs):
        if pairs[k].sim < low:
            e = k
            while e < len(pairs) and pairs[e].sim < low:
                e += 1
            if e - k >= run:
                keep[k:e] = [False] * (e - k)
            k = e
        else:
            k += 1
    return [p for p, ok in zip(pairs, keep, strict=True) if ok]


def drop_weak_edges(pairs: list[Pair], weak: float = 0.6, run: int = 3) -> list[Pair]:
    """A weak pairing at the edge of unmatched speech is the speech's own first/last word
    ("This next point..." pairing "They"): it belongs to the ad-lib, not the text."""
    out: list[Pair] = []
    for k, p in enumerate(pairs):
        if p.sim < weak:
            gap_before = p.h0 - (pairs[k - 1].h1 if k else 0)
            gap_after = (pairs[k + 1].h0 - p.h1) if k + 1 < len(pairs) else 0
            if max(gap_before, gap_after) >= run:
                continue
        out.append(p)
    return out
