"""Is there anything to transcribe? A cheap look at the decoded speech-rate audio.

Whisper over an hour of digital silence or steady noise takes many minutes and
hallucinates text ("Thank you." forty times). A narration is never either: it has words
and the gaps between them. So before the model runs, the signal is checked for samples
that are not numbers, for silence, and for a level that never dips (no pauses at all).
These take a second on an hour of 16 kHz audio.
"""

from __future__ import annotations

import numpy as np

from audio_pipeline.errors import MediaError
from audio_pipeline.media.levels import frame_levels_db
from audio_pipeline.types import Audio

MIN_SECONDS = 0.5  # the loudness gate needs 400 ms; below half a second there is no episode
SILENCE_DBFS = -80.0  # digital silence (dither of 16-bit audio is about -96 dBFS)
FRAME_SECONDS = 0.05
# Speech dips between words and sentences by well over 10 dB even in a noisy room; white,
# pink or hum noise varies by a dB or two from one 50 ms frame to the next.
MIN_DYNAMICS_DB = 6.0


def check_speech_audio(audio: Audio) -> None:
    """Raise MediaError when ``audio`` (mono, speech rate) cannot hold a narration."""
    x = audio.samples.reshape(-1) if audio.samples.ndim == 1 else audio.samples[:, 0]
    # min and max carry NaN and infinity through, without an hour-long temporary array
    low, high = float(np.min(x)), float(np.max(x))
    if not (np.isfinite(low) and np.isfinite(high)):
        bad = int(np.count_nonzero(~np.isfinite(x)))
        raise MediaError(f"corrupt audio: {bad} samples are NaN or infinite", audio.path)
    if audio.duration < MIN_SECONDS:
        raise MediaError(f"too short: {audio.duration:.2f} s of audio (an episode needs at "
                         f"least {MIN_SECONDS:g} s)", audio.path)
    peak = max(high, -low)
    if peak <= 10.0 ** (SILENCE_DBFS / 20.0):
        raise MediaError(f"no speech: the recording is silent ({audio.duration:.0f} s, peak "
                         f"below {SILENCE_DBFS:g} dBFS)", audio.path)
    db = frame_levels_db(x, audio.sample_rate, FRAME_SECONDS)
    if db.shape[0] >= 20:
        low, high = np.percentile(db, [10, 95])
        if high - low < MIN_DYNAMICS_DB:
            raise MediaError(
                f"no speech: the level never dips for a pause ({high - low:.1f} dB between "
                f"quiet and loud moments over {audio.duration:.0f} s): steady noise or "
                "a tone, not a narration", audio.path)
