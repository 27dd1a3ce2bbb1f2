"""Language-aware text checks, without a model: detection of the article's language, how
numbers, signs and punctuation of each language are read, and who decides the language."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio_pipeline.align.language import (
    DetectedLanguage,
    detect_text_language,
    profile,
    resolve_language,
)
from audio_pipeline.align.sentences import sentence_spans
from audio_pipeline.align.source import parse_source
from audio_pipeline.align.textnorm import spoken_tokens, text_tokens

FIXTURES = Path(__file__).parent / "fixtures" / "languages"
LANGUAGES = sorted(p.stem for p in FIXTURES.glob("*.md"))


def test_there_are_fixtures_in_six_languages_one_in_another_script() -> None:
    assert len(LANGUAGES) >= 6
    assert "ru" in LANGUAGES


@pytest.mark.parametrize("code", LANGUAGES)
def test_each_article_is_detected_in_its_own_language(code: str) -> None:
    found = detect_text_language((FIXTURES / f"{code}.md").read_text(encoding="utf-8"))
    assert found is not None and found.code == code and found.confidence > 0.5


def test_a_text_too_short_to_tell_is_not_guessed() -> None:
    assert detect_text_language("OK.") is None
    assert detect_text_language("   ") is None


@pytest.mark.parametrize(
    ("word", "language", "tokens"),
    [
        ("2023", "fr", ("deux", "mille", "vingt", "trois")),
        ("42%", "fr", ("quarante", "deux", "pour", "cent")),
        ("%", "es", ("por", "ciento")),
        ("3,14", "de", ("drei", "komma", "eins", "vier")),
        ("1.000", "de", ("eintausend",)),
        ("1er", "fr", ("premier",)),
        ("50€", "it", ("cinquanta", "euro")),
        ("2023", "ru", ("две", "тысячи", "двадцать", "три")),
        ("Безопасность", "ru", ("безопасность",)),
        ("«Ἀλλά»", "el", ("αλλα",)),
        ("¿Cómo", "es", ("como",)),
        ("&", "de", ("und",)),
        # English keeps its own rules
        ("1,000", "en", ("one", "thousand")),
        ("3.14", "en", ("three", "point", "one", "four")),
        ("1990s", "en", ("nineteen", "nineties")),
        ("e.g.", "en", ("for", "example")),
    ],
)
def test_words_are_read_in_their_language(word: str, language: str, tokens: tuple) -> None:
    assert spoken_tokens(word, language) == tokens


def test_every_script_keeps_its_letters() -> None:
    # Before language support, anything outside a-z was dropped: a Russian article had no words.
    assert text_tokens("Языковые модели стали обычными.", "ru") == [
        "языковые", "модели", "стали", "обычными"]
    assert text_tokens("Τα γλωσσικά μοντέλα", "el") == ["τα", "γλωσσικα", "μοντελα"]


def test_function_words_and_fillers_come_per_language() -> None:
    fr, de, en = profile("fr"), profile("de-AT"), profile("en")
    assert {"le", "la", "et", "de"} <= fr.function_words and "euh" in fr.fillers
    assert {"der", "die", "und"} <= de.function_words and de.code == "de"
    assert "the" in en.function_words and "le" not in en.function_words
    assert en.metaphone and not fr.metaphone


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Une question : comment ? Les chercheurs observent.", 2),
        ("« C'est vrai. » Puis il part.", 2),
        ("Hola. ¿Cómo estás? ¡Muy bien!", 3),
        ("Он пришёл. Она ушла. 2023 год прошёл.", 3),
        ("Er sagte: „Nein.“ Dann ging er.", 2),
        ("Dr. Smith arrived. Then he left.", 2),
    ],
)
def test_sentences_end_with_each_languages_punctuation(text: str, sentences: int) -> None:
    assert len(sentence_spans(text)) == sentences


@pytest.mark.parametrize("code", LANGUAGES)
def test_each_article_parses_into_sentences_and_words(code: str) -> None:
    source = parse_source(FIXTURES / f"{code}.md", code)
    assert source.language == code
    assert len(source.headings) == 1 and len(source.sentences) >= 7
    assert all(w.spoken for w in source.words)


def _found(code: str, p: float, where: str) -> DetectedLanguage:
    return DetectedLanguage(code, p, where)


def test_the_user_decides_when_they_say() -> None:
    got = resolve_language("de", _found("fr", 1.0, "article"), _found("es", 0.9, "audio"))
    assert (got.transcribe, got.check, got.notice) == ("de", "de", None)


def test_audio_and_article_agreeing_need_no_notice() -> None:
    got = resolve_language(None, _found("fr", 1.0, "article"), _found("fr", 0.8, "audio"))
    assert (got.transcribe, got.check, got.notice) == ("fr", "fr", None)


def test_when_they_disagree_the_audio_transcribes_and_the_article_checks() -> None:
    got = resolve_language(None, _found("fr", 1.0, "article"), _found("de", 0.9, "audio"))
    assert (got.transcribe, got.check) == ("de", "fr")
    assert got.notice and "'fr'" in got.notice and "'de'" in got.notice and "\n" not in got.notice


def test_an_unsure_ear_does_not_overrule_the_article() -> None:
    got = resolve_language(None, _found("fr", 1.0, "article"), _found("de", 0.7, "audio"))
    assert (got.transcribe, got.check, got.notice) == ("fr", "fr", None)


def test_with_nothing_to_go_by_it_says_so_and_falls_back() -> None:
    got = resolve_language(None, None, None)
    assert got.transcribe == "en" and got.notice and "could not detect" in got.notice
    only_audio = resolve_language(None, None, _found("it", 0.9, "audio"))
    assert (only_audio.transcribe, only_audio.check) == ("it", "it")


@pytest.mark.slow
def test_an_english_only_model_without_the_multilingual_one_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from audio_pipeline.errors import ModelError
    from audio_pipeline.transcribe import engine

    # "medium" is a real Whisper name that is never available offline here
    monkeypatch.setattr(engine, "MULTILINGUAL_FALLBACK", "medium")
    english = engine.WhisperTranscriber("tiny.en")
    assert english.for_language("en").language == "en"
    with pytest.raises(ModelError, match=r"English-only.*audio-pipeline\[base\]"):
        english.for_language("fr")


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["openai-whisper", "faster-whisper"])
def test_either_engine_detects_the_language_and_hands_over_to_the_multilingual_model(
    engine: str, tmp_path: Path
) -> None:
    from conftest import synthesize

    from audio_pipeline.episode_language import choose_language
    from audio_pipeline.media import decode_speech
    from audio_pipeline.metadata.config import load_config, with_overrides
    from audio_pipeline.metadata.manifest import build_episode
    from audio_pipeline.pipeline import make_transcriber

    article = FIXTURES / "es.md"
    wav = synthesize("Los modelos de lenguaje se han convertido en herramientas comunes.",
                     tmp_path / "es.wav", speed=150, voice="es")
    config = with_overrides(load_config(None), engine=engine)
    episode = build_episode(wav, config, source=article, title="es")
    assert episode.meta.language == "auto"
    chosen = choose_language(episode, decode_speech(wav), make_transcriber(config))
    assert (chosen.transcribe, chosen.check) == ("es", "es")
    assert chosen.text is not None and chosen.text.code == "es"
    assert chosen.audio is not None and chosen.audio.code == "es"
    assert chosen.transcriber.model_name == "base" and chosen.transcriber.language == "es"
    assert any("multilingual" in n for n in chosen.notices)
    words = " ".join(w.text for w in chosen.transcriber.transcribe(decode_speech(wav)).words)
    assert "modelos" in words.lower()  # Spanish, not an English translation


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["openai-whisper", "faster-whisper"])
def test_a_language_the_user_names_hands_an_english_only_model_over_too(
    engine: str, tmp_path: Path
) -> None:
    # `process fr.wav --language fr` with the default tiny.en: the flag sets the config's
    # language, and the engine made for it used to refuse ("tiny.en is English-only")
    from conftest import synthesize

    from audio_pipeline.episode_language import choose_language
    from audio_pipeline.media import decode_speech
    from audio_pipeline.metadata.config import load_config, with_overrides
    from audio_pipeline.metadata.manifest import build_episode
    from audio_pipeline.pipeline import make_transcriber

    wav = synthesize("Les modèles de langage sont devenus des outils ordinaires.",
                     tmp_path / "fr.wav", speed=150, voice="fr")
    config = with_overrides(load_config(None), engine=engine, language="fr")
    episode = build_episode(wav, config, source=FIXTURES / "fr.md", title="fr")
    assert episode.meta.language == "fr"
    chosen = choose_language(episode, decode_speech(wav), make_transcriber(config))
    assert (chosen.transcribe, chosen.check) == ("fr", "fr")
    assert chosen.transcriber.model_name == "base" and chosen.transcriber.language == "fr"
    assert any("multilingual" in n for n in chosen.notices)
    assert chosen.transcriber.transcribe(decode_speech(wav)).words
