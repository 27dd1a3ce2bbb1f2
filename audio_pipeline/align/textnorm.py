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
  accents are folded off (in every script: "é" -> e, "й" -> и, "ά" -> α); anything
  else that is not a letter or digit is dropped.

Every function takes the language (an ISO code, default "en"): numbers are spoken in it
(num2words), with its decimal comma and ordinal suffixes; signs ("%", "&") become its
words; the English abbreviation table and the Metaphone key apply to English only
(see :mod:`audio_pipeline.align.language`).
"""

from __future__ import annotations

import re
from functools import lru_cache

import jellyfish
from num2words import num2words

from audio_pipeline.align.language import LanguageProfile, fold, profile

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
}

# Words after which a period does not end a sentence (lowercase, without the period).
NON_FINAL_ABBREVIATIONS = frozenset(
    {"dr", "mr", "mrs", "ms", "prof", "st", "vs", "e.g", "i.e", "cf", "no", "approx", "fig"}
)

_NUMBER_EN = re.compile(
    r"^(?P<cur>[$€£])?(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<dec>\.\d+)?"
    r"(?P<suf>%|st|nd|rd|th|s|'s|k|m|bn)?(?P<cur2>[$€£])?$"
)
# Decimal-comma languages: "1.000" or "1 000" is a thousand, "3,14" a decimal; the
# ordinal suffixes are those of the language (checked against the profile).
_NUMBER_COMMA = re.compile(
    r"^(?P<cur>[$€£])?(?P<num>\d{1,3}(?:[.\u00a0\u202f]\d{3})+|\d+)(?P<dec>,\d+)?"
    r"(?P<suf>%|[a-zºª]{1,3})?(?P<cur2>[$€£])?$"
)
_SPLIT = re.compile(r"[-‐‑‒–—―/_]+")
_NOT_ALNUM = re.compile(r"[\W_]+")  # any script's letters and digits are kept


def _fold(text: str) -> str:
    return fold(text)


def _words(text: str) -> list[str]:
    return [t for t in _NOT_ALNUM.split(text.replace("'", "")) if t]


def _number_re(lang: LanguageProfile) -> re.Pattern[str]:
    return _NUMBER_COMMA if lang.decimal_comma else _NUMBER_EN


def _say(value: int | float, lang: LanguageProfile, to: str = "cardinal") -> str:
    """num2words in the language; a form it lacks there falls back to the cardinal."""
    code = lang.num2words_lang or "en"
    for form in (to, "cardinal"):
        try:
            return str(num2words(value, lang=code, to=form))
        except (NotImplementedError, AttributeError, TypeError, ValueError, OverflowError):
            continue
    return str(value)


def _plural(word: str) -> str:
    return word[:-1] + "ies" if word.endswith("y") else word + "s"


def _number_tokens(m: re.Match[str], lang: LanguageProfile) -> list[str]:
    raw = m.group("num")
    suffix = (m.group("suf") or "").lower()
    digits = re.sub(r"\D", "", raw)
    value = int(digits)
    grouped = len(digits) != len(raw)
    if m.group("dec"):
        spoken = _say(float(digits + "." + m.group("dec")[1:]), lang)
    elif suffix and suffix in lang.ordinal_suffixes:
        spoken = _say(value, lang, "ordinal")
    elif not grouped and len(raw) == 4 and 1100 <= value <= 2099:
        spoken = _say(value, lang, "year")
    else:
        spoken = _say(value, lang)
    tokens = _words(_fold(spoken))
    if lang.english and suffix in ("s", "'s") and tokens:
        tokens[-1] = _plural(tokens[-1])
    elif suffix == "%":
        tokens.extend(lang.signs.get("%", ("percent",)))
    elif lang.english and suffix == "k":
        tokens.append("thousand")
    elif lang.english and suffix == "m":
        tokens.append("million")
    elif lang.english and suffix == "bn":
        tokens.append("billion")
    currency = m.group("cur") or m.group("cur2")
    if currency and currency in lang.currency:
        tokens.append(lang.currency[currency])
    return tokens


def _sign(text: str, lang: LanguageProfile) -> tuple[str, ...] | None:
    if text in lang.signs:
        return lang.signs[text]
    if text in lang.currency.keys():
        return (lang.currency[text],)
    if lang.english and text in ABBREVIATIONS:
        return ABBREVIATIONS[text]
    return None


@lru_cache(maxsize=65536)
def spoken_tokens(word: str, language: str = "en") -> tuple[str, ...]:
    """The normalized tokens a reader says for one written word (may be empty)."""
    lang = profile(language)
    number = _number_re(lang)
    text = _fold(word.strip())
    bare = text.strip("\"'()[]{}*,;:!?…«»„“”¿¡‹›")
    if (said := _sign(bare, lang)) is not None:
        return said
    if bare.endswith(".") and (said := _sign(bare.rstrip(".") + ".", lang)) is not None:
        return said
    bare = bare.rstrip(".")
    m = number.match(bare)
    if m:
        return tuple(_number_tokens(m, lang))
    out: list[str] = []
    for part in _SPLIT.split(bare):
        if not part:
            continue
        if (said := _sign(part, lang)) is not None:
            out.extend(said)
            continue
        m = number.match(part.strip(".,"))
        if m:
            out.extend(_number_tokens(m, lang))
            continue
        # "G.P.T." and "U.S." are one token, like "GPT"; "3.5x" keeps its digits.
        if re.fullmatch(r"(?:[^\W\d_]\.)+[^\W\d_]?", part):
            part = part.replace(".", "")
        letters_digits = re.findall(r"\d+|[^\d]+", part)
        for chunk in letters_digits:
            if chunk.isdigit():
                out.extend(_number_tokens(_NUMBER_EN.match(chunk), lang))  # type: ignore[arg-type]
            else:
                for sign, said in lang.signs.items():
                    if sign in chunk:
                        chunk = chunk.replace(sign, f" {' '.join(said)} ")
                out.extend(_words(chunk))
    return tuple(out)


def text_tokens(text: str, language: str = "en") -> list[str]:
    """Spoken tokens for running text (a summary, a Whisper segment)."""
    out: list[str] = []
    for word in text.split():
        out.extend(spoken_tokens(word, language))
    return out


@lru_cache(maxsize=65536)
def phonetic(token: str, language: str = "en") -> str:
    """A Metaphone key in English; other languages compare their folded spelling."""
    if not token.isalpha() or not profile(language).metaphone:
        return token
    return jellyfish.metaphone(token) or token
