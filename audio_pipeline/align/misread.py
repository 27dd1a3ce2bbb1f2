"""Misread or misheard, from the text alone: how different two words are, and how sure.

The rules (see :mod:`audio_pipeline.align.issues` for where they are used): Whisper
mishears names and rare words as something that *sounds* alike, often with low
probability, or fills a gap with a function word; a narrator who misreads says a
different word clearly.
"""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein

from audio_pipeline.align.language import profile
from audio_pipeline.align.textnorm import phonetic, text_tokens


def dissimilarity(expected: str, heard: str, language: str = "en") -> float:
    """``clamp(2 (d - 0.25))`` with ``d = 1 - max(spelling similarity, sound
    similarity)`` (normalized Levenshtein on the folded tokens and on their phonetic
    keys): 0 for words that look or sound alike, 1 for words that share little."""
    a = "".join(text_tokens(expected, language))
    b = "".join(text_tokens(heard, language))
    if not a or not b or a == b:
        return 0.0
    sim = max(
        Levenshtein.normalized_similarity(a, b),
        Levenshtein.normalized_similarity(phonetic(a, language), phonetic(b, language)),
    )
    return max(0.0, min(1.0, 2.0 * (1.0 - sim - 0.25)))


def _filler_like(heard: str, language: str) -> bool:
    """Whisper's stand-ins for sounds it cannot place: only function words or short
    tokens ("a", "and", "the"), or a piece of a word it split ("-year")."""
    function_words = profile(language).function_words
    toks = text_tokens(heard, language)
    return all(len(t) < 3 or t in function_words for t in toks) or heard.lstrip().startswith("-")


def misread_confidence(
    expected: str, heard: str, probability: float, language: str = "en"
) -> float:
    """How sure we are the narrator said ``heard`` instead of ``expected``, in [0, 1]."""
    dissimilar = dissimilarity(expected, heard, language)
    if dissimilar == 0.0:
        return 0.0
    sure = max(0.0, min(1.0, (probability - 0.5) / 0.4))
    conf = dissimilar * sure
    if _filler_like(heard, language):
        conf *= 0.5  # Whisper fills gaps it cannot hear with "a", "and", "the", "-year"
    return conf
