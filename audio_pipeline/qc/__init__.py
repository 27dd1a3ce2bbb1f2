"""Audio checks: what a mastering engineer checks before an upload, without transcription.

Takes a recording or a finished MP3 (or decoded samples) and a check profile
(``profiles/``: podcast, acx); gives typed check results with figures and times (noise
floor, hum, room-tone steps, clipping, DC, head and tail, dead air, speaking rate, channels,
level), and the format consistency of a batch.
"""

from audio_pipeline.qc.checks import (
           article_words,
           check_audio,
           check_file,
           checks_from,
           failed,
           shown,
)
from audio_pipeline.qc.consistency import AudioFormat, batch_consistency, probe_format
from audio_pipeline.qc.profile import CheckProfile, known_profiles, load_profile, profile_for

__all__ = ["AudioFormat", "CheckProfile", "article_words", "batch_consistency", "check_audio",
           "check_file", "checks_from", "failed", "known_profiles", "load_profile", "probe_format",
           "profile_for", "shown"]
