"""Alignment time vs length: 1k, 10k and 100k words.

    python benchmarks/align.py [--sizes 1000,10000,100000] [--seed 7]

The source is synthetic prose (pseudo-words from syllables, sentences of 6-20 words,
headings every 8 paragraphs). Its "transcript" is the same text read at ~2.7 words/s with
realistic Whisper/narrator errors: 4% misspelled words (mishearings), 2% dropped words,
1% inserted fillers, one skipped paragraph, one retake (a sentence started, abandoned
after "sorry, again", then re-read). Prints alignment time and its ratio per 10x of
words (10 = linear, 100 = quadratic), once as is and once with Python's cyclic GC paused,
against the peer, stdlib difflib matching the same tokens exactly (up to 20k words; it
does far less: no fuzzy scores, times or issues), and how many planted skipped sentences
and retakes were found.
Target: 10,000 words in under 1 s.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import random
import time

from audio_pipeline.align.aligner import align
from audio_pipeline.align.source import parse_source_text
from audio_pipeline.align.textnorm import text_tokens
from audio_pipeline.types import Segment, Transcript, Word

SYLLABLES = [c + v for c in "bcdfghklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


def make_article(n_words: int, rng: random.Random) -> tuple[str, list[list[str]]]:
    vocab = [
        "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((1, 2, 2, 3, 3, 4))))
        for _ in range(3000)
    ] + ["the", "a", "of", "and", "to", "in", "is", "that", "it", "was"] * 40
    paragraphs: list[list[str]] = []
    md: list[str] = []
    count = 0
    while count < n_words:
        if len(paragraphs) % 8 == 0:
            md.append(f"## Part {len(paragraphs) // 8 + 1}")
        sentences = []
        for _ in range(rng.randint(3, 6)):
            words = [rng.choice(vocab) for _ in range(rng.randint(6, 20))]
            words[0] = words[0].capitalize()
            sentences.append(" ".join(words) + ".")
            count += len(words)
        paragraphs.append(sentences)
        md.append(" ".join(sentences))
    return "\n\n".join(md), paragraphs


def _mishear(word: str, rng: random.Random) -> str:
    k = rng.randrange(len(word))
    return word[:k] + rng.choice("aeioubdkt") + word[k + 1 :]


def make_transcript(article_md: str, rng: random.Random) -> tuple[Transcript, int]:
    source = parse_source_text(article_md, "markdown")
    sents = [
        [w.text for w in source.words[s.first_word : s.last_word + 1]] for s in source.sentences
    ]
    skip = set(range(len(sents) // 3, len(sents) // 3 + 4))  # a skipped paragraph-ish run
    retake = 2 * len(sents) // 3
    words: list[Word] = []
    t = 1.0

    def say(text: str, prob: float = 0.95) -> None:
        nonlocal t
        dur = 0.12 + 0.05 * len(text)
        words.append(Word(text, t, t + dur, prob))
        t += dur + 0.08

    for i, sent in enumerate(sents):
        if i in skip:
            continue
        if i == retake:
            for w in sent[: len(sent) // 2]:
                say(w)
            for w in ("sorry", "let", "me", "read", "that", "again"):
                say(w)
            t += 0.5
        for w in sent:
            r = rng.random()
            if r < 0.04:
                say(_mishear(w, rng), 0.4)
            elif r < 0.06:
                continue
            elif r < 0.07:
                say(w)
                say("um", 0.3)
            else:
                say(w)
        t += 0.4
    segments = [
        Segment(
            k, words[i].start, words[min(i + 30, len(words)) - 1].end, "", tuple(words[i : i + 30])
        )
        for k, i in enumerate(range(0, len(words), 30))
    ]
    return Transcript(tuple(segments), "en", "synthetic", t), len(skip)


def _difflib_seconds(source, transcript: Transcript) -> float:  # noqa: ANN001
    """The peer: stdlib difflib matching the same normalized tokens exactly (no fuzzy
    scores, no times, no issues): a floor for what any token alignment costs."""
    src = [t for w in source.words for t in w.spoken]
    hyp = [t for w in transcript.words for t in text_tokens(w.text)]
    t0 = time.perf_counter()
    difflib.SequenceMatcher(None, src, hyp, autojunk=False).get_matching_blocks()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    previous: float | None = None
    header = (
        "words",
        "align s",
        "x per 10x",
        "no-gc s",
        "x per 10x",
        "vs difflib",
        "coverage",
        "skipped",
        "retake",
    )
    print("{:>8} {:>9} {:>10} {:>9} {:>10} {:>10} {:>9} {:>8} {:>7}".format(*header))
    previous_nogc: float | None = None
    for n in (int(x) for x in args.sizes.split(",")):
        md, _ = make_article(n, rng)
        transcript, n_skipped = make_transcript(md, rng)
        source = parse_source_text(md, "markdown")
        t0 = time.perf_counter()
        result = align(transcript, source)
        took = time.perf_counter() - t0
        # the same run with the cyclic GC paused shows the algorithm's own growth: with
        # it on, Python's full collections grow with the heap and add a superlinear term
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            align(transcript, source)
            nogc = time.perf_counter() - t0
        finally:
            gc.enable()
        peer = _difflib_seconds(source, transcript) if n <= 20_000 else None
        vs = f"{took / peer:.1f}x" if peer else "-"
        skipped = sum(1 for s in result.sentences if s.status == "skipped")
        retakes = sum(1 for i in result.issues if i.type == "repeated")
        # sizes step by 10x, so the ratios read directly as growth per 10x
        ratio = f"{took / previous:.1f}" if previous else "-"
        ratio_nogc = f"{nogc / previous_nogc:.1f}" if previous_nogc else "-"
        print(
            f"{len(source.words):>8} {took:>9.3f} {ratio:>10} {nogc:>9.3f} {ratio_nogc:>10} "
            f"{vs:>10} {result.coverage:>9.3f} {skipped:>3}/{n_skipped:<4} {retakes:>7}"
        )
        previous_nogc = nogc
        previous = took


if __name__ == "__main__":
    main()
