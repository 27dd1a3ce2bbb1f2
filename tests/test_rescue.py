"""Speech Whisper dropped as silence is decoded again (transcribe.rescue).

The pure logic (which stretches are lost, how their second decodings are placed) is
tested on made-up signals and a stand-in decoder; the end-to-end tests give a real
reading whose first 30 s window Whisper's greedy decoding loses to both real engines.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import synthesize
from test_languages_e2e import _script

from audio_pipeline.transcribe.rescue import (
    MIN_GAP,
    RESCUE_PIECE,
    decodes_well,
    lost_stretches,
    merged,
    rescue_lost_speech,
    voiced_frames,
)
from audio_pipeline.types import Segment, Transcript, Word

RATE = 16_000


def _signal(spans: list[tuple[float, float]], length: float, noise_db: float = -70.0,
            seed: int = 0) -> np.ndarray:
    """Room noise at ``noise_db`` dBFS with a 200 Hz tone at -20 dBFS in each span (s)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 10 ** (noise_db / 20), int(length * RATE)).astype(np.float32)
    t = np.arange(x.size) / RATE
    for a, b in spans:
        inside = (t >= a) & (t < b)
        x[inside] += (0.1 * np.sin(2 * np.pi * 200 * t[inside])).astype(np.float32)
    return x


def _words(*spans: tuple[float, float]) -> list[Word]:
    return [Word(f"w{k}", a, b, 0.9) for k, (a, b) in enumerate(spans)]


def _transcript(words: list[Word], duration: float) -> Transcript:
    segs = tuple(Segment(k, w.start, w.end, w.text, (w,)) for k, w in enumerate(words))
    return Transcript(segs, "pt", "base", duration)


def test_voiced_frames_are_the_speech_not_the_room() -> None:
    voiced = voiced_frames(_signal([(1.0, 2.0)], 4.0), RATE, 4.0)
    t = (np.arange(voiced.size) + 0.5) * 0.05
    assert voiced[(t > 1.05) & (t < 1.95)].all()
    assert not voiced[(t < 0.95) | (t > 2.05)].any()


def test_a_noisy_room_is_not_voiced() -> None:
    # room tone 25 dB under the speech: still room tone
    voiced = voiced_frames(_signal([(0.0, 1.0), (3.0, 4.0)], 5.0, noise_db=-45.0), RATE, 5.0)
    t = (np.arange(voiced.size) + 0.5) * 0.05
    assert not voiced[(t > 1.1) & (t < 2.9)].any()


def test_only_long_voiced_stretches_without_words_are_lost() -> None:
    length = 20.0
    # speech 0-4 s (heard), 5-9 s (not heard), a 1 s cough at 12 s, silence, speech 16-20
    x = _signal([(0.0, 4.0), (5.0, 9.0), (12.0, 13.0), (16.0, 20.0)], length)
    voiced = voiced_frames(x, RATE, length)
    words = _words((0.1, 1.9), (2.0, 3.9), (16.1, 19.9))
    assert lost_stretches(words, voiced, 0.0, length) == [(3.9, 16.1)]
    # heard: nothing is lost
    heard = [*words, *_words((5.1, 7.0), (7.1, 8.9))]
    assert lost_stretches(heard, voiced, 0.0, length) == []
    # a voiced gap shorter than MIN_GAP is a pause
    gap = MIN_GAP - 0.4
    short = _signal([(0.0, 2.0), (2.2, 2.0 + gap - 0.2), (2.0 + gap, 7.0)], 7.0)
    assert lost_stretches(_words((0.0, 2.0), (2.0 + gap, 7.0)),
                          voiced_frames(short, RATE, 7.0), 0.0, 7.0) == []


def test_a_recording_with_no_word_at_all_is_one_lost_stretch() -> None:
    x = _signal([(0.5, 9.5)], 10.0)
    assert lost_stretches([], voiced_frames(x, RATE, 10.0), 0.0, 10.0) == [(0.0, 10.0)]


def test_whispers_own_tests_decide_what_a_second_decoding_keeps() -> None:
    assert decodes_well(-0.5, 1.6)
    assert decodes_well(-1.0, 2.4)
    assert not decodes_well(-1.2, 1.6)  # unlikely text
    assert not decodes_well(-0.2, 7.8)  # a loop: the same phrase over and over


class _Decoder:
    """Stands in for an engine: hears one word per second of a clip it accepts."""

    def __init__(self, longest: float):
        self.longest = longest  # clips longer than this "loop" and give nothing
        self.calls: list[float] = []

    def __call__(self, clip: np.ndarray, length: float) -> Transcript:
        self.calls.append(length)
        if length > self.longest:
            return Transcript((), "pt", "base", length)
        words = [Word(f"r{k}", k + 0.1, k + 0.9, 0.8) for k in range(int(length))]
        segs = (Segment(0, 0.0, length, " ".join(w.text for w in words), tuple(words)),)
        return Transcript(segs if words else (), "pt", "base", length)


def test_a_normal_transcript_is_never_decoded_twice() -> None:
    x = _signal([(0.0, 4.0), (5.0, 9.0)], 9.0)
    heard = _transcript(_words((0.1, 3.9), (5.1, 8.9)), 9.0)
    decode = _Decoder(longest=60.0)
    assert rescue_lost_speech(heard, x, RATE, 9.0, decode) == heard
    assert decode.calls == []


def test_a_lost_stretch_is_decoded_whole_and_placed_at_its_time() -> None:
    x = _signal([(0.0, 4.0), (4.5, 14.5), (15.0, 18.0)], 18.0)
    heard = _transcript(_words((0.1, 3.9), (15.1, 17.9)), 18.0)
    decode = _Decoder(longest=60.0)
    out = rescue_lost_speech(heard, x, RATE, 18.0, decode)
    assert decode.calls == [pytest.approx(11.2)]
    starts = [w.start for w in out.words]
    assert starts == sorted(starts)
    assert [s.id for s in out.segments] == list(range(len(out.segments)))
    rescued = [w for w in out.words if w.text.startswith("r")]
    assert rescued[0].start == pytest.approx(3.9 + 0.1)
    assert all(3.9 <= w.start and w.end <= 15.1 for w in rescued)


def test_what_the_whole_stretch_does_not_give_is_tried_in_shorter_pieces() -> None:
    x = _signal([(0.0, 2.0)] + [(2.5 + 3 * k, 4.5 + 3 * k) for k in range(9)], 30.0)
    heard = _transcript(_words((0.1, 1.9)), 30.0)
    decode = _Decoder(longest=RESCUE_PIECE)
    out = rescue_lost_speech(heard, x, RATE, 30.0, decode)
    assert decode.calls[0] == pytest.approx(28.1)  # the whole stretch, which "loops"
    assert all(n <= RESCUE_PIECE for n in decode.calls[1:])
    assert sum(decode.calls[1:]) == pytest.approx(28.1, abs=0.01)
    rescued = [w for w in out.words if w.text.startswith("r")]
    assert len(rescued) >= 24  # one a second over the 28 s, less the pieces' odd tenths


def test_merged_puts_segments_in_time_order_and_numbers_them() -> None:
    base = _transcript(_words((0.0, 1.0), (20.0, 21.0)), 25.0)
    extra = [Segment(0, 5.0, 6.0, "x", (Word("x", 5.0, 6.0, 0.5),))]
    out = merged(base, extra)
    assert [w.text for w in out.words] == ["w0", "x", "w1"]
    assert [s.id for s in out.segments] == [0, 1, 2]
    assert out.duration == base.duration and out.language == base.language


# --- end to end: real readings, real engines ------------------------------------------

@pytest.fixture(scope="module")
def portuguese(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """espeak-ng's Portuguese reading of tests/fixtures/languages/pt.md, as the language
    tests make it: the ``base`` model's greedy decoding loops over its first 30 s window,
    every temperature fallback is worse, and Whisper drops the window as silence."""
    text = _script("pt").text
    return synthesize(text, tmp_path_factory.mktemp("pt") / "pt.wav", speed=150, voice="pt")


def _voiced_heard(transcript: Transcript, path: Path) -> float:
    """The share of the voiced audio that lies inside a segment with words."""
    from audio_pipeline.media.decoder import decode_speech

    audio = decode_speech(path)
    x = audio.samples[:, 0] if audio.samples.ndim == 2 else audio.samples
    voiced = voiced_frames(x, audio.sample_rate, audio.duration)
    t = (np.arange(voiced.size) + 0.5) * 0.05
    inside = np.zeros(voiced.size, dtype=bool)
    for seg in transcript.segments:
        if seg.words:
            inside |= (t >= seg.words[0].start - 0.3) & (t <= seg.words[-1].end + 0.3)
    return float(np.count_nonzero(voiced & inside) / max(1, np.count_nonzero(voiced)))


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["openai-whisper", "faster-whisper"])
def test_a_window_whisper_dropped_as_silence_is_heard(portuguese: Path, engine: str) -> None:
    from audio_pipeline.media.decoder import decode_speech
    from audio_pipeline.transcribe import FasterWhisperTranscriber, WhisperTranscriber

    cls = WhisperTranscriber if engine == "openai-whisper" else FasterWhisperTranscriber
    audio = decode_speech(portuguese)
    heard = cls("base", language="pt").transcribe(audio)
    assert heard.words and heard.words[0].start < 10.0, heard
    assert _voiced_heard(heard, portuguese) >= 0.6, heard
    starts = [w.start for w in heard.words]
    assert starts == sorted(starts)
    assert all(0.0 <= w.start <= w.end <= audio.duration for w in heard.words)
