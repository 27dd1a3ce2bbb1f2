"""Token-level state of one alignment, shared by align.py and the issue finders."""

from __future__ import annotations

from dataclasses import dataclass, field

from audio_pipeline.align.misread import typical_probability
from audio_pipeline.align.tokenalign import Pair
from audio_pipeline.types import SourceText, TimedSentence, TimedWord, Word


@dataclass
class Retake:
    h0: int  # first transcript token of the abandoned attempt
    h1: int  # first transcript token of the kept reading
    s0: int  # first source token read again
    matched: int  # tokens the two readings share


@dataclass
class Context:
    """What the alignment knows at token level; shared by align.py and the issue finders."""

    source: SourceText
    words: list[Word]
    long_pause: float
    duration: float
    src: list[str] = field(default_factory=list)
    src_word: list[int] = field(default_factory=list)
    hyp: list[str] = field(default_factory=list)
    hyp_word: list[int] = field(default_factory=list)
    hyp_start: list[float] = field(default_factory=list)
    hyp_end: list[float] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)
    retakes: list[Retake] = field(default_factory=list)
    word_pairs: dict[int, list[Pair]] = field(default_factory=dict)
    h_pair: list[int] = field(default_factory=list)  # transcript token -> source token or -1
    timed_words: list[TimedWord] = field(default_factory=list)
    sentences: list[TimedSentence] = field(default_factory=list)
    typical_probability: float = 1.0  # set by index_pairs: align.misread.typical_probability

    @property
    def language(self) -> str:
        """The article's language: how both sides were tokenized and are compared."""
        return self.source.language

    def index_pairs(self) -> None:
        self.word_pairs = {}
        self.h_pair = [-1] * len(self.hyp)
        for p in self.pairs:
            for wi in sorted({self.src_word[s] for s in range(p.s0, p.s1)}):
                self.word_pairs.setdefault(wi, []).append(p)
            for h in range(p.h0, p.h1):
                self.h_pair[h] = p.s0
        exact = {h for p in self.pairs if p.sim >= 1.0 for h in range(p.h0, p.h1)}
        tokens: dict[int, list[int]] = {}
        for h, k in enumerate(self.hyp_word):
            tokens.setdefault(k, []).append(h)
        self.typical_probability = typical_probability(
            [self.words[k].probability for k, hs in tokens.items() if set(hs) <= exact])

    def sentence_after(self, h: int) -> int | None:
        for k in range(h, len(self.hyp)):
            if self.h_pair[k] >= 0:
                return self.source.words[self.src_word[self.h_pair[k]]].sentence
        return None
