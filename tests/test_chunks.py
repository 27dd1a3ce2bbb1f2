"""Long recordings are transcribed in pieces cut at quiet moments (both engines compute the
spectrogram of all they are given at once): the pieces cover the audio, none is over the
limit, the cuts fall in pauses, and the words come back at the recording's times, the same
as when transcribed whole."""

from __future__ import annotations

import difflib

import numpy as np
import pytest
import soundfile as sf
from conftest import synthesize

from audio_pipeline.transcribe.engine import WhisperTranscriber
from audio_pipeline.transcribe.fast import FasterWhisperTranscriber
from audio_pipeline.transcribe.whisper_input import (
    WHISPER_RATE,
    chunk_bounds,
    join_pieces,
    to_whisper_input,
)
from audio_pipeline.types import Audio, Segment, Transcript, Word

RATE = WHISPER_RATE


def _speech_with_pauses(seconds: float, pauses: list[tuple[float, float]]) -> np.ndarray:
    """Noise standing in for speech, silent over each (start, end) pause."""
    rng = np.random.default_rng(7)
    array = (0.2 * rng.standard_normal(int(seconds * RATE))).astype(np.float32)
    for a, b in pauses:
        array[int(a * RATE) : int(b * RATE)] = 0.001 * rng.standard_normal(
            int(b * RATE) - int(a * RATE))
    return array


def test_a_recording_under_the_limit_is_one_piece():
    array = _speech_with_pauses(20.0, [])
    assert chunk_bounds(array, 600.0) == [(0, array.size)]
    assert chunk_bounds(np.zeros(0, np.float32), 600.0) == [(0, 0)]


def test_pieces_cover_the_audio_in_order_none_over_the_limit_cut_in_the_pauses():
    pauses = [(52.0, 52.8), (101.0, 102.0), (155.5, 156.2), (200.0, 201.0)]
    array = _speech_with_pauses(230.0, pauses)
    bounds = chunk_bounds(array, 60.0)
    assert bounds[0][0] == 0 and bounds[-1][1] == array.size
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
    assert all(0 < end - start <= 60 * RATE for start, end in bounds)
    cuts = [end / RATE for _, end in bounds[:-1]]
    # each cut inside a pause within the 30 s searched before the limit
    assert len(cuts) == 4
    for cut in cuts:
        assert any(a <= cut <= b for a, b in pauses), cuts


def test_a_piece_with_no_pause_is_cut_at_its_quietest_and_still_within_the_limit():
    array = _speech_with_pauses(130.0, [])
    array[int(40 * RATE) : int(40.4 * RATE)] *= 0.5  # the least loud spot in the search
    bounds = chunk_bounds(array, 60.0)
    assert abs(bounds[0][1] / RATE - 40.2) < 0.1, bounds
    assert all(end - start <= 60 * RATE for start, end in bounds)


def test_joined_pieces_take_their_offsets_and_fresh_segment_numbers():
    def piece(text: str, at: float) -> Transcript:
        return Transcript((Segment(0, at, at + 1.0, text, (Word(text, at, at + 0.5, 0.9),)),),
                          "fr", "base", 5.0)

    joined = join_pieces([(0.0, piece("un", 1.0)), (5.0, piece("deux", 0.5))], "base", 9.0)
    assert [(s.id, s.start, s.text) for s in joined.segments] == [(0, 1.0, "un"),
                                                                   (1, 5.5, "deux")]
    assert [(w.start, w.end) for w in joined.words] == [(1.0, 1.5), (5.5, 6.0)]
    assert (joined.language, joined.model, joined.duration) == ("fr", "base", 9.0)


@pytest.fixture(scope="module")
def two_readings(tmp_path_factory) -> Audio:
    """Two sentences with a 2-second pause between them, about 20 s in all."""
    folder = tmp_path_factory.mktemp("chunks")
    parts = []
    for k, text in enumerate((
            "The river town of Millbrook rebuilt its water pipes over six years.",
            "Engineers mapped every main, replaced the lead lines, and cut the losses.")):
        data, rate = sf.read(synthesize(text, folder / f"{k}.wav", speed=150), dtype="float32")
        parts += [np.zeros(rate // 2, np.float32), data]
        if k == 0:
            parts.append(np.zeros(2 * rate, np.float32))
    samples = np.concatenate(parts).reshape(-1, 1)
    return Audio(samples, rate, folder / "two.wav")


@pytest.mark.slow
@pytest.mark.parametrize("engine", [WhisperTranscriber, FasterWhisperTranscriber])
def test_in_pieces_the_words_and_times_are_those_of_the_whole(two_readings: Audio, engine):
    pause_end = next(w for w in _first_long_gap(two_readings))
    whole = engine("tiny.en", threads=2).transcribe(two_readings)
    # a limit that forces one cut, searched over the second half of the first piece
    limit = pause_end + 1.0
    assert len(chunk_bounds(two_readings.samples[:, 0], limit, two_readings.sample_rate)) == 2
    pieces = engine("tiny.en", threads=2, chunk_seconds=limit).transcribe(two_readings)
    a = [w.text.lower().strip(".,") for w in whole.words]
    b = [w.text.lower().strip(".,") for w in pieces.words]
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    # tiny.en's guesses at espeak's unclear words vary with the window (as with --vad)
    assert matcher.ratio() >= 0.75, " | ".join([" ".join(a), " ".join(b)])
    shifts = [abs(whole.words[m.a + k].start - pieces.words[m.b + k].start)
              for m in matcher.get_matching_blocks() for k in range(m.size)]
    assert max(shifts) <= 0.3, shifts
    # the second sentence, transcribed from the second piece, at the recording's times:
    # its words matched in both at the same times (checked above)
    late = [pieces.words[m.b + k].start for m in matcher.get_matching_blocks()
            for k in range(m.size) if pieces.words[m.b + k].start > pause_end]
    assert len(late) >= 5, late
    assert pieces.duration == whole.duration == two_readings.duration
    assert [s.id for s in pieces.segments] == list(range(len(pieces.segments)))
    # with short pieces, no segment crosses a cut (as the whole's sentences do)
    cuts = [end / RATE for _, end in chunk_bounds(to_whisper_input(two_readings), 4.0)[:-1]]
    short = engine("tiny.en", threads=2, chunk_seconds=4.0).transcribe(two_readings)

    def crossing(t: Transcript) -> list[Segment]:
        return [s for s in t.segments for c in cuts if s.start < c - 0.1 and s.end > c + 0.1]

    assert len(short.segments) >= 3 and not crossing(short), cuts
    assert crossing(whole)


def _first_long_gap(audio: Audio):
    """End (s) of the first silence of 1.5 s or more."""
    rate = audio.sample_rate
    loud = np.abs(audio.samples[:, 0]) > 0.01
    run = 0
    for k, flag in enumerate(loud):
        run = 0 if flag else run + 1
        if run == int(1.5 * rate):
            j = k
            while j < loud.size and not loud[j]:
                j += 1
            yield j / rate
            return
