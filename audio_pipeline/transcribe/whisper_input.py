"""The audio every Whisper engine is given: mono float32 at 16 kHz, and the tail padding.

Shared by both engines (and free of torch), so they hear exactly the same samples.
"""

from __future__ import annotations

from collections.abc import Iterator
from math import gcd

import numpy as np
from scipy.signal import resample_poly

from audio_pipeline.errors import TranscribeError
from audio_pipeline.types import Audio, Segment, Transcript, Word

WHISPER_RATE = 16_000
# Silence appended before transcribing: a recording that ends right on its last word
# leaves that word at the very edge of Whisper's last window, where it is dropped or
# smeared; with room after it the word is heard and timed. Times are clipped back to the
# recording's length.
TAIL_PAD = 1.0  # s


def to_whisper_input(audio: Audio) -> np.ndarray:
    """Mono float32 at 16 kHz, the array ``whisper.transcribe`` accepts."""
    samples = np.asarray(audio.samples, dtype=np.float32)
    if samples.ndim == 2:  # mono as a view: no second copy of an hours-long recording
        samples = samples[:, 0] if samples.shape[1] == 1 else samples.mean(axis=1,
                                                                             dtype=np.float32)
    elif samples.ndim != 1:
        raise TranscribeError(f"audio samples have shape {samples.shape}", audio.path)
    if audio.sample_rate <= 0:
        raise TranscribeError(f"invalid sample rate {audio.sample_rate}", audio.path)
    if audio.sample_rate != WHISPER_RATE and samples.size:
        divisor = gcd(WHISPER_RATE, int(audio.sample_rate))
        samples = resample_poly(samples, WHISPER_RATE // divisor, audio.sample_rate // divisor)
    return np.ascontiguousarray(samples, dtype=np.float32)


def padded(array: np.ndarray) -> np.ndarray:
    """``array`` with TAIL_PAD s of silence after it."""
    return np.concatenate([array, np.zeros(int(TAIL_PAD * WHISPER_RATE), np.float32)])


# Both engines compute the log-mel spectrogram of the whole array they are given before
# decoding its first window, so their memory grows with the recording: for one hour of
# audio, 3.0 GB beyond the samples with faster-whisper's numpy STFT and 1.6 GB with
# openai-whisper's; in pieces, 0.47 and 0.35 GB at any length (benchmarks/
# transcribe_memory.py). A long recording is therefore given to
# them in pieces of at most CHUNK_SECONDS, each cut at the quietest moment of the last
# CUT_SEARCH seconds before its limit (between sentences, in a narration): memory then
# stays that of a 10-minute piece, whatever the length, and the words are the same but
# at the cuts, where each piece starts a fresh window as after a long pause.
CHUNK_SECONDS = 600.0
CUT_SEARCH = 30.0  # s
_QUIET_WINDOW = 0.4  # s: the stretch whose loudness picks a cut
_QUIET_HOP = 0.05  # s


def chunk_bounds(array: np.ndarray, max_seconds: float = CHUNK_SECONDS,
                 rate: int = WHISPER_RATE) -> list[tuple[int, int]]:
    """(start, end) sample ranges covering ``array`` in order, none over ``max_seconds``."""
    limit = int(max_seconds * rate)
    if limit <= 0:
        raise ValueError("max_seconds must be positive")
    bounds: list[tuple[int, int]] = []
    start = 0
    while array.size - start > limit:
        search = min(int(CUT_SEARCH * rate), limit // 2)
        cut = _quietest(array, start + limit - search, start + limit, rate)
        bounds.append((start, cut))
        start = cut
    bounds.append((start, int(array.size)))
    return bounds


def _quietest(array: np.ndarray, lo: int, hi: int, rate: int) -> int:
    """The middle of the quietest _QUIET_WINDOW between samples lo and hi."""
    width, hop = max(1, int(_QUIET_WINDOW * rate)), max(1, int(_QUIET_HOP * rate))
    if hi - lo <= width:
        return hi
    power = np.square(array[lo:hi], dtype=np.float64)
    running = np.concatenate([[0.0], np.cumsum(power)])
    starts = np.arange(0, hi - lo - width + 1, hop)
    energy = running[starts + width] - running[starts]
    best = int(starts[int(np.argmin(energy))])  # the first of equally quiet stretches
    return lo + best + width // 2


def iter_pieces(array: np.ndarray, max_seconds: float,
                duration: float) -> Iterator[tuple[float, np.ndarray, float]]:
    """(offset s, the piece padded as ``padded``, its length s) for each of chunk_bounds;
    the last piece's length ends at ``duration``, the recording's."""
    bounds = chunk_bounds(array, max_seconds)
    for k, (start, end) in enumerate(bounds):
        offset = start / WHISPER_RATE
        length = duration - offset if k == len(bounds) - 1 else (end - start) / WHISPER_RATE
        yield offset, padded(array[start:end]), length


def join_pieces(pieces: list[tuple[float, Transcript]], model: str,
                duration: float) -> Transcript:
    """One transcript from (offset s, transcript of the piece at that offset), in order."""
    segments: list[Segment] = []
    for offset, piece in pieces:
        segments += (shifted(seg, offset, len(segments) + k)
                     for k, seg in enumerate(piece.segments))
    language = pieces[0][1].language if pieces else "en"
    return Transcript(tuple(segments), language, model, duration)


def shifted(seg: Segment, offset: float, number: int) -> Segment:
    """``seg`` and its words ``offset`` s later, numbered ``number``."""
    words = tuple(Word(w.text, w.start + offset, w.end + offset, w.probability)
                  for w in seg.words)
    return Segment(number, seg.start + offset, seg.end + offset, seg.text, words)
