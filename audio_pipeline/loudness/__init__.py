"""Loudness: BS.1770 measurement, true-peak limiting and normalization to a preset.

Takes a recording (a path, streamed, or decoded ``Audio``) and a preset from ``presets/``
(data files); gives a ``LoudnessMeasurement``, or an MP3 at the target loudness under the
true-peak ceiling with a ``LoudnessReport`` measured on the encoded file itself.
"""

from audio_pipeline.loudness.normalizer import (
    NormalizationInfo,
    Preset,
    known_presets,
    lame_scale,
    load_preset,
    measure,
    measure_file,
    mp3_overshoot_db,
    normalize,
    normalize_and_encode,
)

__all__ = ["NormalizationInfo", "Preset", "known_presets", "lame_scale", "load_preset",
           "measure", "measure_file", "mp3_overshoot_db", "normalize", "normalize_and_encode"]
