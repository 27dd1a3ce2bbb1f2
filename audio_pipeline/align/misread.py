"""Misread or misheard, from the text alone: how different two words are, and how sure.

The rules (see :mod:`audio_pipeline.align.issues` for where they are used): Whisper
mishears names and rare words as something that *sounds* alike, often with low
probability, or fills a gap with a function word; a narrator who misreads says a
different word clearly.
"""

from __future__ import annotations

import statistics

from rapidfuzz.distance import Levenshtein

from audio_pipeline.align.language import profile
from audio_pipeline.align.textnorm import phonetic, text_tokens

REPORTED = 0.25  # text-feature confidence at which a substitution is reported
# Whisper's median word probability on correctly heard words where the probability gate
# was calibrated (tiny.en on the English test narrations: 0.90 to 0.96)
CALIBRATED_TYPICAL = 0.9
MIN_TYPICAL_WORDS = 20  # fewer exactly heard words say too little about the recording


def typical_probability(probabilities: list[float]) -> float:
    """The median of Whisper's probabilities for the words it heard exactly as written
    (1.0, which shifts nothing, when there are too few to tell)."""
    if len(probabilities) < MIN_TYPICAL_WORDS:
        return 1.0
    return statistics.median(probabilities)


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
    expected: str, heard: str, probability: float, language: str = "en",
    typical: float = 1.0,
) -> float:
    """How sure we are the narrator said ``heard`` instead of ``expected``, in [0, 1].

    ``typical`` is Whisper's median probability for the words of this recording that it
    heard exactly as written (``typical_probability``): a model that hears a voice or a
    language less well is less sure of everything, misreads included, so the gate on
    ``probability`` is taken relative to it."""
    dissimilar = dissimilarity(expected, heard, language)
    if dissimilar == 0.0:
        return 0.0
    # the bar is lowered by how much less sure Whisper is, on this recording, of the
    # words it heard right than where the rule was calibrated (never raised)
    shift = max(0.0, CALIBRATED_TYPICAL - typical)
    sure = max(0.0, min(1.0, (probability + shift - 0.5) / 0.4))
    conf = dissimilar * sure
    if _filler_like(heard, language):
        conf *= 0.5  # Whisper fills gaps it cannot hear with "a", "and", "the", "-year"
    return conf
