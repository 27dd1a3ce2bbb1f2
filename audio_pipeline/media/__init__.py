"""Media: audio files in and out, through libsndfile and ffmpeg.

Takes a path to any audio or video file and gives decoded ``Audio`` (whole, as 16 kHz
speech, or streamed block by block); takes float samples and gives an MP3 file written
atomically, optionally decoded again as it is encoded.
"""

from audio_pipeline.media.decoder import (
    BlockSource,
    block_source,
    decode,
    decode_speech,
    prefetch,
    probe_duration,
    resample,
    to_channels,
)
from audio_pipeline.media.ffmpeg import (
    BLOCK_FRAMES,
    MP3_BITRATES,
    MP3_SAMPLE_RATES,
    ffprobe,
    iter_decode,
    last_line,
    mp3_rate,
    require_ffmpeg,
)
from audio_pipeline.media.mp3stream import EncodedTap, encode_mp3, mp3_writer

__all__ = [
    "BLOCK_FRAMES", "MP3_BITRATES", "MP3_SAMPLE_RATES", "BlockSource", "EncodedTap",
    "block_source", "decode", "decode_speech", "encode_mp3", "ffprobe", "iter_decode",
    "last_line", "mp3_rate", "mp3_writer", "prefetch", "probe_duration", "require_ffmpeg",
    "resample", "to_channels",
]
