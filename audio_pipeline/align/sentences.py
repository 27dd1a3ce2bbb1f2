"""Where sentences and words begin and end in a block of article text, in any language.

Split out of ``source`` so the punctuation rules of many languages (« », „ ", ¿ ¡, the
French space before ``?``) live in one place with the tests that pin them.
"""

from __future__ import annotations

import re

from audio_pipeline.align.textnorm import NON_FINAL_ABBREVIATIONS, spoken_tokens

# A sentence ends at . ! ? … (and closing quotes) before a capital or digit in any script,
# after any opening quote or inverted mark ("« Le", "¿Cómo", "„Die"); the next word's
# first letter is checked in code, since `re` has no class for capitals of every script.
_SENTENCE_END = re.compile(
    r"[.!?…]+(?:[\"'”’»“›)\]]|\s[»›])*(?=\s+[\"'“‘«„¿¡‹(\[]*\s?(\w))"
)
_WORD = re.compile(r"[^\s—–]+")
_LEAD = "\"'“‘„([{*_<«‹¿¡"
_TRAIL = "\"'”’“)]}*_,;:!?>»›…"


def sentence_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if not (m.group(1).isupper() or m.group(1).isdigit()):
            continue
        before = text[start : m.start()].split()
        raw = before[-1].rstrip(".") if before else ""
        last = raw.lower()
        # Initials ("J. R. R. Tolkien") are capitals; a lowercase letter ("less than y.")
        # ends its sentence like any other word.
        if m.group().startswith(".") and (
            last in NON_FINAL_ABBREVIATIONS or (len(raw) == 1 and raw.isupper())
        ):
            continue
        spans.append((start, m.end()))
        start = m.end()
        while start < len(text) and text[start].isspace():
            start += 1
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


def word_spans(text: str, offset: int, language: str) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for m in _WORD.finditer(text):
        s, e = m.start(), m.end()
        while s < e and text[s] in _LEAD:
            s += 1
        while e > s and text[e - 1] in _TRAIL:
            e -= 1
        word = text[s:e]
        # a trailing period belongs to the word only for abbreviations ("Dr.", "e.g.")
        if word.endswith(".") and (
            spoken_tokens(word, language) == spoken_tokens(word.rstrip("."), language)
        ):
            e = s + len(word.rstrip("."))
            word = text[s:e]
        if word and spoken_tokens(word, language):
            out.append((offset + s, offset + e, word))
    return out
