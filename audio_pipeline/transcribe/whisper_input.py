"""The audio every Whisper engine is given: mono float32 at 16 kHz, and the tail padding.

Shared by both engines (and free of torch), so they hear exactly the same samples.
"""

from __future__ import annotations

from math import gcd

import numpy as np
from scipy.signal import resample_poly

from audio_pipeline.errors import TranscribeError
from audio_pipeline.types import Audio

WHISPER_RATE = 16_000
# Silence appended before transcribing: a recording that ends right on its last word
# leaves that word at the very edge of Whisper's last window, where it is dropped or
# smeared; with room after it the word is heard and timed. Times are clipped back to the
# recording's length.
TAIL_PAD = 1.0  # s


def to_whisper_input(audio: Audio) -> np.ndarray:
    """Mono float32 at 16 kHz, the array ``whisper.transcribe`` accepts."""
    samples = np.asarray(audio.samples, dtype=np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=1, dtype=np.float32)
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
