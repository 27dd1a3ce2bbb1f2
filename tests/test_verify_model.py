"""The bundled Whisper model as the verifier, on real speech (espeak-ng clips): what the
narrator said scores above what the article says when they differ, and below a
sound-alike when the article was read; a recording that ends on its last word keeps it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import synthesize

from audio_pipeline.align.verify import build_candidates, evidence
from audio_pipeline.transcribe.engine import WhisperTranscriber
from audio_pipeline.types import Audio

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine() -> WhisperTranscriber:
    return WhisperTranscriber("tiny.en", threads=2)


def _speech(tmp_path: Path, text: str, *, trim_tail: bool = False) -> Audio:
    wav = synthesize(text, tmp_path / "clip.wav", speed=165)
    data, rate = sf.read(wav, dtype="float32")
    if trim_tail:  # the recording ends right on its last word
        loud = np.flatnonzero(np.abs(data) > 0.02 * np.abs(data).max())
        data = data[: loud[-1] + 1]
    else:
        data = np.concatenate([np.zeros(rate // 2, np.float32), data])
    return Audio(data.reshape(-1, 1), rate, wav)


def _llr(engine: WhisperTranscriber, audio: Audio, article_word: str, target: str,
         heard_word: str | None = None) -> float:
    """Score the article's word against the heard one at ``target``'s place."""
    words = list(engine.transcribe(audio).words)
    k = next(i for i, w in enumerate(words) if target in w.text.lower())
    if heard_word is not None:  # pretend Whisper heard something else there
        w = words[k]
        words[k] = type(w)(heard_word, w.start, w.end, w.probability)
    window, article, heard = build_candidates(words, k, k + 1, article_word, audio.duration)
    return engine.span_scorer(audio)(window, article, heard)


def test_a_real_misread_makes_the_article_clearly_less_likely(engine, tmp_path):
    audio = _speech(tmp_path, "Every result deserves a second glance, said the editor.")
    llr = _llr(engine, audio, "look", "glance")
    assert llr > 2.5 and evidence("substituted", llr) > 0.2


def test_a_correct_reading_makes_a_sound_alike_less_likely(engine, tmp_path):
    audio = _speech(tmp_path, "Every result deserves a second look, said the editor.")
    # as if Whisper had written "book": the article's "look" must win clearly
    llr = _llr(engine, audio, "look", "look", heard_word="book")
    assert llr < 0.0 and evidence("substituted", llr) == 0.0


def test_a_recording_that_ends_on_its_last_word_keeps_it(engine, tmp_path):
    audio = _speech(tmp_path, "The meeting will continue at noon tomorrow", trim_tail=True)
    words = engine.transcribe(audio).words
    assert words and "tomorrow" in words[-1].text.lower(), [w.text for w in words]
    assert words[-1].end <= audio.duration + 1e-6  # times stay inside the recording
