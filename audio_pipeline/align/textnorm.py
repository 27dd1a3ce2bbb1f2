"""Token normalization shared by the source text and the transcript.

Both sides go through :func:`spoken_tokens`, so whatever spelling either side uses
("2022" or "twenty twenty-two", "Dr." or "doctor", "50%" or "fifty percent") ends up
as the same lowercase ASCII tokens. Rules:

- Abbreviations from a fixed table become their spoken words ("e.g." -> for example).
- Numbers are spelled with num2words: four-digit numbers 1100-2099 without a comma
  read as years ("1984" -> nineteen eighty four), decades too ("1990s"); other integers
  as cardinals, "1st" as ordinals, decimals as "three point one four", "%" as "percent",
  a leading currency sign as a trailing "dollars"/"euros"/"pounds".
- Hyphens, slashes and dashes split words; apostrophes vanish ("beauty's" -> beautys);
  accents are folded to ASCII; anything else that is not a letter or digit is dropped.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import jellyfish
from num2words import num2words

ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "e.g.": ("for", "example"),
    "eg.": ("for", "example"),
    "i.e.": ("that", "is"),
    "ie.": ("that", "is"),
    "etc.": ("et", "cetera"),
    "etc": ("et", "cetera"),
    "dr.": ("doctor",),
    "mr.": ("mister",),
    "mrs.": ("missus",),
    "ms.": ("miz",),
    "prof.": ("professor",),
    "st.": ("saint",),
    "vs.": ("versus",),
    "vs": ("versus",),
    "approx.": ("approximately",),
    "cf.": ("compare",),
    "no.": ("number",),
    "&": ("and",),
    "%": ("percent",),
    "+": ("plus",),
    "=": ("equals",),
}

# Words after which a period does not end a sentence (lowercase, without the period).
NON_FINAL_ABBREVIATIONS = frozenset(
    {"dr", "mr", "mrs", "ms", "prof", "st", "vs", "e.g", "i.e", "cf", "no", "approx", "fig"}
)

_CURRENCY = {"$": "dollars", "€": "euros", "£": "pounds"}
_NUMBER = re.compile(
    r"^(?P<cur>[$€£])?(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<dec>\.\d+)?"
    r"(?P<suf>%|st|nd|rd|th|s|'s|k|m|bn)?$"
)
_SPLIT = re.compile(r"[-‐‑‒–—―/_]+")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("’", "'").replace("‘", "'").lower()


def _words(text: str) -> list[str]:
    return [t for t in _NOT_ALNUM.split(text.replace("'", "")) if t]


def _plural(word: str) -> str:
    return word[:-1] + "ies" if word.endswith("y") else word + "s"


def _number_tokens(m: re.Match[str]) -> list[str]:
    raw = m.group("num")
    suffix = (m.group("suf") or "").lower()
    value = int(raw.replace(",", ""))
    if m.group("dec"):
        spoken = num2words(float(raw.replace(",", "") + m.group("dec")))
    elif suffix in ("st", "nd", "rd", "th"):
        spoken = num2words(value, to="ordinal")
    elif "," not in raw and len(raw) == 4 and 1100 <= value <= 2099:
        spoken = num2words(value, to="year")
    else:
        spoken = num2words(value)
    tokens = _words(_fold(spoken))
    if suffix in ("s", "'s") and tokens:
        tokens[-1] = _plural(tokens[-1])
    elif suffix == "%":
        tokens.append("percent")
    elif suffix == "k":
        tokens.append("thousand")
    elif suffix == "m":
        tokens.append("million")
    elif suffix == "bn":
        tokens.append("billion")
    if m.group("cur"):
        tokens.append(_CURRENCY[m.group("cur")])
    return tokens


@lru_cache(maxsize=65536)
def spoken_tokens(word: str) -> tuple[str, ...]:
    """The normalized tokens a reader says for one written word (may be empty)."""
    text = _fold(word.strip())
    bare = text.strip("\"'()[]{}*,;:!?…")
    if bare in ABBREVIATIONS:
        return ABBREVIATIONS[bare]
    if bare.rstrip(".") + "." in ABBREVIATIONS and bare.endswith("."):
        return ABBREVIATIONS[bare.rstrip(".") + "."]
    bare = bare.rstrip(".")
    m = _NUMBER.match(bare)
    if m:
        return tuple(_number_tokens(m))
    out: list[str] = []
    for part in _SPLIT.split(bare):
        if not part:
            continue
        if part in ABBREVIATIONS:
            out.extend(ABBREVIATIONS[part])
            continue
        m = _NUMBER.match(part.strip(".,"))
        if m:
            out.extend(_number_tokens(m))
            continue
        # "G.P.T." and "U.S." are one token, like "GPT"; "3.5x" keeps its digits.
        if re.fullmatch(r"(?:[a-z]\.)+[a-z]?", part):
            part = part.replace(".", "")
        letters_digits = re.findall(r"\d+|[^\d]+", part)
        for chunk in letters_digits:
            if chunk.isdigit():
                out.extend(_number_tokens(_NUMBER.match(chunk)))  # type: ignore[arg-type]
            else:
                if "%" in chunk:
                    chunk = chunk.replace("%", " percent ")
                if "&" in chunk:
                    chunk = chunk.replace("&", " and ")
                out.extend(_words(chunk))
    return tuple(out)


def text_tokens(text: str) -> list[str]:
    """Spoken tokens for running text (a summary, a Whisper segment)."""
    out: list[str] = []
    for word in text.split():
        out.extend(spoken_tokens(word))
    return out


@lru_cache(maxsize=65536)
def phonetic(token: str) -> str:
    """A Metaphone key; digits and empty keys fall back to the token itself."""
    if not token.isalpha():
        return token
    return jellyfish.metaphone(token) or token
