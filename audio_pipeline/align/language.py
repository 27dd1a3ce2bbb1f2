"""What the narration checks need to know about a language, and which language a text is in.

A :class:`LanguageProfile` holds the per-language facts the tokenizer and the issue
finders use: how numbers are spoken (num2words' language), which words are function
words (from the maintained ``stop-words`` package; English keeps the short list the
English checks were calibrated on), the fillers a narrator says, the abbreviations and
signs that are read as words, and whether the English phonetic key (Metaphone) applies.
Languages without a phonetic key compare spellings only (Levenshtein on folded text),
which holds for any alphabet.

:func:`detect_text_language` names the language of an article with lingua, a
maintained detector; :func:`resolve_language` decides between the article, the audio
and what the user said, with the reason in one line.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

ENGLISH_FUNCTION_WORDS = frozenset(
    "a an the and or but of to in on at for by with as is are was were be it its this that"
    " he she we they i you her his him them our their there then than so if not no".split()
)
# Hesitation sounds per language. No maintained package lists these; they come from
# transcription style guides (CLAN/CHAT and national subtitle guides) and are folded
# like every token (accents off, lowercase).
_FILLERS: dict[str, tuple[str, ...]] = {
    "en": ("um", "uh", "er", "erm", "ah", "hmm", "mm", "oh"),
    "fr": ("euh", "heu", "hum", "ben", "bah", "hein", "ah", "oh", "mm"),
    "de": ("ah", "aeh", "ahm", "aehm", "hm", "hmm", "oh", "mm"),
    "es": ("eh", "em", "este", "mmm", "mm", "ah", "oh", "pues"),
    "it": ("ehm", "eh", "uhm", "mm", "ah", "oh", "cioe"),
    "pt": ("e", "hum", "ahn", "eh", "mm", "ah", "oh"),
    "ru": ("э", "эм", "ээ", "мм", "ну", "а", "о"),
    "el": ("εε", "μμ", "ε", "α", "ω"),
}
# Signs read as words; "%" and "&" are said in the article's language.
_SIGNS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {"%": ("percent",), "&": ("and",), "+": ("plus",), "=": ("equals",)},
    "fr": {"%": ("pour", "cent"), "&": ("et",), "+": ("plus",), "=": ("egal",)},
    "de": {"%": ("prozent",), "&": ("und",), "+": ("plus",), "=": ("gleich",)},
    "es": {"%": ("por", "ciento"), "&": ("y",), "+": ("mas",), "=": ("igual",)},
    "it": {"%": ("per", "cento"), "&": ("e",), "+": ("piu",), "=": ("uguale",)},
    "pt": {"%": ("por", "cento"), "&": ("e",), "+": ("mais",), "=": ("igual",)},
    "ru": {"%": ("процентов",), "&": ("и",), "+": ("плюс",), "=": ("равно",)},
    "el": {"%": ("τοις", "εκατο"), "&": ("και",), "+": ("συν",), "=": ("ισον",)},
}
_CURRENCY: dict[str, dict[str, str]] = {
    "en": {"$": "dollars", "€": "euros", "£": "pounds"},
    "fr": {"$": "dollars", "€": "euros", "£": "livres"},
    "de": {"$": "dollar", "€": "euro", "£": "pfund"},
    "es": {"$": "dolares", "€": "euros", "£": "libras"},
    "it": {"$": "dollari", "€": "euro", "£": "sterline"},
    "pt": {"$": "dolares", "€": "euros", "£": "libras"},
    "ru": {"$": "долларов", "€": "евро", "£": "фунтов"},
    "el": {"$": "δολαρια", "€": "ευρω", "£": "λιρες"},
}
# Ordinal suffixes after digits ("1st", "1er", "2e", "3º"); German writes "3." which a
# sentence end also writes, so it is left as a cardinal.
_ORDINAL_SUFFIXES: dict[str, tuple[str, ...]] = {
    "en": ("st", "nd", "rd", "th"),
    "fr": ("er", "re", "e", "eme", "ere"),
    "es": ("o", "a", "º", "ª"),
    "it": ("o", "a", "º", "ª"),
    "pt": ("o", "a", "º", "ª"),
}
# Languages whose numbers write a decimal comma ("3,14") and a thousands dot ("1.000").
_DECIMAL_COMMA = frozenset({"fr", "de", "es", "it", "pt", "ru", "el", "nl", "pl", "cs", "sv"})


def fold(text: str) -> str:
    """Lowercase without accents: how every token is compared, in any script."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("’", "'").replace("‘", "'").casefold()


def base_code(language: str) -> str:
    """"pt-BR" -> "pt"; "" -> "en" (the house default)."""
    return (language or "en").split("-")[0].lower()


@dataclass(frozen=True)
class LanguageProfile:
    code: str  # ISO 639-1 base code, e.g. "fr"
    num2words_lang: str | None  # None: num2words cannot say this language's numbers
    function_words: frozenset[str]
    fillers: frozenset[str]
    signs: dict[str, tuple[str, ...]] = field(hash=False)
    currency: dict[str, str] = field(hash=False)
    ordinal_suffixes: tuple[str, ...] = ()
    decimal_comma: bool = False
    metaphone: bool = False  # the English phonetic key applies

    @property
    def english(self) -> bool:
        return self.code == "en"


def _num2words_lang(code: str) -> str | None:
    from num2words import CONVERTER_CLASSES

    return code if code in CONVERTER_CLASSES else None


def _stop_words(code: str) -> frozenset[str]:
    from stop_words import LANGUAGE_MAPPING, get_stop_words

    if code not in LANGUAGE_MAPPING and code not in LANGUAGE_MAPPING.values():
        return frozenset()
    try:
        words = get_stop_words(code)
    except Exception:  # noqa: BLE001 - a package without this list: no function words
        return frozenset()
    return frozenset(fold(w).replace("'", "") for w in words if w.strip())


@lru_cache(maxsize=64)
def profile(language: str) -> LanguageProfile:
    """The profile of a language code ("en", "fr", "pt-BR"); unknown codes get a neutral one."""
    code = base_code(language)
    english = code == "en"
    return LanguageProfile(
        code=code,
        num2words_lang=_num2words_lang(code),
        function_words=ENGLISH_FUNCTION_WORDS if english else _stop_words(code),
        fillers=frozenset(_FILLERS.get(code, ())),
        signs=_SIGNS.get(code, {}),
        currency=_CURRENCY.get(code, {}),
        ordinal_suffixes=_ORDINAL_SUFFIXES.get(code, ()),
        decimal_comma=code in _DECIMAL_COMMA,
        metaphone=english,
    )


# --------------------------------------------------------------------------- detection

AUDIO_SURE = 0.8  # below this Whisper's guess does not overrule the article (espeak
# Portuguese sounds Hungarian to base at p=0.66; real speech in another language is > 0.9)
DETECT_MIN_CHARS = 40  # below this a text says little about its language
DETECT_SAMPLE_CHARS = 20_000  # a long article's start is enough, and lingua is linear


@dataclass(frozen=True)
class DetectedLanguage:
    code: str  # ISO 639-1
    confidence: float  # 0..1
    source: str  # "article", "summary", "audio"


@lru_cache(maxsize=1)
def _detector():  # type: ignore[no-untyped-def]
    from lingua import LanguageDetectorBuilder

    # Low accuracy mode reads trigrams only: plenty for an article, and light in memory.
    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


def detect_text_language(text: str, source: str = "article") -> DetectedLanguage | None:
    """The language ``text`` is written in, or None when it is too short to tell."""
    sample = " ".join(text.split())[:DETECT_SAMPLE_CHARS]
    if sum(c.isalpha() for c in sample) < DETECT_MIN_CHARS:
        return None
    values = _detector().compute_language_confidence_values(sample)
    if not values:
        return None
    best = values[0]
    iso = best.language.iso_code_639_1.name.lower()
    return DetectedLanguage(iso, float(best.value), source)


@dataclass(frozen=True)
class LanguageDecision:
    """Which language to transcribe in and which to check the text in, and why."""

    transcribe: str
    check: str
    notice: str | None  # one line for the user when the sources disagree or guess


def resolve_language(
    explicit: str | None,
    text: DetectedLanguage | None,
    audio: DetectedLanguage | None,
    fallback: str = "en",
) -> LanguageDecision:
    """What the user said wins; else the audio for transcription and the article for checks."""
    if explicit:
        return LanguageDecision(explicit, explicit, None)
    if text is None and audio is None:
        return LanguageDecision(
            fallback, fallback, f"language: could not detect it; using {fallback!r}"
        )
    if text is None:
        assert audio is not None
        return LanguageDecision(audio.code, audio.code, None)
    if audio is None or audio.code == text.code or audio.confidence < AUDIO_SURE:
        return LanguageDecision(text.code, text.code, None)
    notice = (
        f"language: the {text.source} reads as {text.code!r} but the audio sounds "
        f"{audio.code!r} (p={audio.confidence:.2f}); transcribing as {audio.code!r}, "
        f"checking against the text as {text.code!r}"
    )
    return LanguageDecision(audio.code, text.code, notice)
