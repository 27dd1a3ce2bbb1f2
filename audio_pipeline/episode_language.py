"""The language of one episode: what the user said, else the article's, confirmed by ear.

``choose_language`` runs before transcription. When the episode's language is ``auto``
(the default) it reads the article (or the summary) with a text detector and asks
Whisper which language the first 30 s sound like; where they disagree it says so in one
line, transcribes in the audio's language and checks against the text in the article's.
The transcriber it returns never runs an English-only model on another language: that
hands over to the bundled multilingual model, with a notice.

The detection by ear is skipped in one case, to keep English episodes as fast as before:
an English article with an English-only model (the tool's default), since that model
cannot tell languages apart and the multilingual one would load for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audio_pipeline.align.language import (
    DetectedLanguage,
    LanguageDecision,
    detect_text_language,
    resolve_language,
)
from audio_pipeline.transcribe.protocol import Transcriber
from audio_pipeline.types import Audio, Episode

AUTO = "auto"


def is_auto(language: str | None) -> bool:
    return not language or language.strip().lower() == AUTO


@dataclass(frozen=True)
class EpisodeLanguage:
    transcribe: str  # the language Whisper is told to hear
    check: str  # the article's language: tokens, checks, tags, captions
    transcriber: Any  # a Transcriber set to ``transcribe``
    notices: tuple[str, ...]
    text: DetectedLanguage | None
    audio: DetectedLanguage | None


def _article_text(episode: Episode) -> tuple[str, str]:
    if episode.source is not None:
        from audio_pipeline.align.source import parse_source

        return parse_source(episode.source).text, "article"
    return episode.meta.summary or "", "summary"


def _multilingual(transcriber: Transcriber) -> bool:
    return bool(getattr(transcriber, "multilingual", False))


def _by_ear(transcriber: Transcriber, audio: Audio) -> DetectedLanguage | None:
    detect = getattr(transcriber, "detect_language", None)
    found = detect(audio) if callable(detect) else None
    return DetectedLanguage(found[0], found[1], "audio") if found else None


def choose_language(episode: Episode, audio: Audio, transcriber: Transcriber) -> EpisodeLanguage:
    """Decide the episode's languages and the transcriber for them (may raise ModelError)."""
    explicit = None if is_auto(episode.meta.language) else episode.meta.language
    text = ear = None
    decision: LanguageDecision
    if explicit is not None:
        decision = resolve_language(explicit, None, None)
    else:
        words, where = _article_text(episode)
        text = detect_text_language(words, where) if words.strip() else None
        if text is None or text.code != "en" or _multilingual(transcriber):
            ear = _by_ear(transcriber, audio)
        decision = resolve_language(None, text, ear)
    notices = [decision.notice] if decision.notice else []
    chosen = transcriber
    for_language = getattr(transcriber, "for_language", None)
    if callable(for_language):
        chosen = for_language(decision.transcribe)
        if chosen.model_name != transcriber.model_name:
            notices.append(
                f"language: {decision.transcribe!r} is not English and {transcriber.model_name} "
                f"is English-only; transcribing with the multilingual {chosen.model_name}"
            )
    return EpisodeLanguage(decision.transcribe, decision.check, chosen, tuple(notices), text, ear)
