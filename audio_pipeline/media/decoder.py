"""Decode audio to float32 numpy: whole, as 16 kHz speech, or block by block.

soundfile (libsndfile >= 1.1: WAV, FLAC, OGG, MP3, AIFF, ...) is tried first because it
decodes straight to float32 without a subprocess; pydub + ffmpeg covers what libsndfile
cannot read (M4A/AAC, WMA, ...). Input files are only ever opened for reading.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from math import gcd
from pathlib import Path
from typing import TypeVar

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from audio_pipeline.errors import MediaError
from audio_pipeline.media.ffmpeg import (
    BLOCK_FRAMES,
    ffprobe,
    iter_decode,
    last_line,
    require_ffmpeg,
)
from audio_pipeline.media.headers import quiet_mpeg, sf_info, wav_declared_seconds
from audio_pipeline.types import Audio

# ITU-R BS.775 downmix to stereo for the usual WAV (WAVEFORMATEXTENSIBLE) channel orders.
# Rows: source channels; columns: (left, right). Centre and surrounds enter at -3 dB, the
# LFE channel is dropped (BS.775 leaves it out of the downmix).
_M = 0.7071
_BS775: dict[int, np.ndarray] = {
    3: np.array([[1, 0], [0, 1], [_M, _M]]),  # L R C
    4: np.array([[1, 0], [0, 1], [_M, 0], [0, _M]]),  # L R Ls Rs
    5: np.array([[1, 0], [0, 1], [_M, _M], [_M, 0], [0, _M]]),  # L R C Ls Rs
    6: np.array([[1, 0], [0, 1], [_M, _M], [0, 0], [_M, 0], [0, _M]]),  # 5.1
}

T = TypeVar("T")


def decode(path: Path) -> Audio:
    """Decode an audio file to float32 samples shaped (frames, channels).

    Raises MediaError for a missing file or anything that is not audio (text, empty,
    truncated, zero frames).
    """
    path = Path(path)
    if not path.is_file():
        raise MediaError("file not found" if not path.exists() else "not a file", path)
    if path.stat().st_size == 0:
        raise MediaError("not an audio file: the file is empty", path)
    try:
        with quiet_mpeg(path):
            data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
        data, rate = _decode_ffmpeg(path)
    if data.shape[0] == 0:
        raise MediaError("not an audio file: it holds no audio frames", path)
    return Audio(samples=np.ascontiguousarray(data), sample_rate=int(rate), path=path)


def decode_speech(path: Path, rate: int = 16_000) -> Audio:
    """Mono float32 at ``rate``: what speech recognition reads, streamed so the full-rate
    recording is never held (60 min of 44.1 kHz stereo is 1.3 GB as float32; 16 kHz mono
    is 230 MB). Channels are averaged; ffmpeg resamples when the rate differs.
    """
    path = Path(path)
    if not path.is_file():
        raise MediaError("file not found" if not path.exists() else "not a file", path)
    if path.stat().st_size == 0:
        raise MediaError("not an audio file: the file is empty", path)
    source = block_source(path, channels=1)
    header = source.frames / source.sample_rate if _exact_length(path, source) else None
    if header is not None and not source.ffmpeg:
        header = max(header, wav_declared_seconds(path) or 0.0)
    if source.sample_rate != rate:
        source = source.resampled_by_ffmpeg(rate) or source
    # filled in place, not a list of blocks concatenated: that held the signal twice
    # (3 h of 16 kHz mono peaked at 1.5 GB)
    samples, filled = np.empty((max(source.frames, 1), 1), dtype=np.float32), 0
    for block in source.blocks():
        if filled + len(block) > len(samples):  # the header's estimate was short
            grown = np.empty((max(2 * len(samples), filled + len(block)), 1), np.float32)
            grown[:filled] = samples[:filled]
            samples = grown
        samples[filled:filled + len(block)] = block
        filled += len(block)
    if filled == 0:
        raise MediaError("not an audio file: it holds no audio frames", path)
    audio = Audio(samples[:filled], source.sample_rate, path)
    # A cut-off download or copy decodes without error to its first part only; publishing
    # that loses the rest of the episode. Half is lenient enough for header estimates
    # (VBR MP3 without a Xing header, ffprobe's bitrate guess for raw AAC) yet catches
    # real truncation.
    if header is not None and header > 1.0 and audio.duration < 0.5 * header:
        raise MediaError(f"truncated or corrupt: the header says {header:.1f} s but only "
                         f"{audio.duration:.1f} s of audio decode", path)
    return audio


def _exact_length(path: Path, source: BlockSource) -> bool:
    """Whether the header's length is recorded rather than guessed from a bitrate: an MP3
    needs a Xing/Info/VBRI frame (without one, a VBR file that opens quietly reads 8x
    too long), and of what ffmpeg reads only MP4's moov holds the exact length."""
    if not source.sample_rate or not source.frames:
        return False
    if source.ffmpeg:
        return path.suffix.lower() in (".m4a", ".mp4", ".m4b", ".mov")
    if sf_info(path).format not in ("MP3", "MPEG"):
        return True  # WAV, FLAC, OGG, AIFF: the frame count is recorded
    with open(path, "rb") as fh:
        head = fh.read(10)
        skip = 0
        if head[:3] == b"ID3" and len(head) == 10:  # ID3v2 size is syncsafe: 7 bits a byte
            skip = 10 + ((head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9])
        fh.seek(skip)
        first = fh.read(4096)
    return any(tag in first for tag in (b"Xing", b"Info", b"VBRI"))


def _decode_ffmpeg(path: Path) -> tuple[np.ndarray, int]:
    from pydub import AudioSegment  # imported late: only the fallback needs it
    from pydub.exceptions import CouldntDecodeError

    require_ffmpeg(path)
    try:
        # absolute: pydub hands the path to ffprobe, which reads "-x.wav" as an option
        seg = AudioSegment.from_file(os.path.abspath(path))
    except (CouldntDecodeError, IndexError, KeyError, OSError, ValueError) as exc:
        raise MediaError(f"not an audio file ({last_line(exc)})", path) from exc
    # pydub hands over integers of sample_width bytes; scale them to [-1, 1).
    ints = np.array(seg.get_array_of_samples())
    scale = float(1 << (8 * seg.sample_width - 1))
    data = (ints.astype(np.float32) / scale).reshape(-1, seg.channels)
    return data, int(seg.frame_rate)


@dataclass(frozen=True, eq=False)
class BlockSource:
    """Audio to be read block by block, mixed to ``channels`` on the way.

    Either wraps decoded ``Audio`` (no copy) or reads a file through libsndfile again on
    every pass, so a long recording can be measured and rendered without ever being
    held in memory whole.
    """

    sample_rate: int
    channels: int
    frames: int  # from the header; an estimate when ffmpeg streams the file
    path: Path | None = None
    audio: Audio | None = None
    stored_channels: int = 0  # as decoded, before mixing
    ffmpeg: bool = False  # decoded by ffmpeg on each pass (what libsndfile cannot read)
    ffmpeg_rate: int | None = None  # resampled by ffmpeg on the way

    def blocks(self, block_frames: int = BLOCK_FRAMES) -> Iterator[np.ndarray]:
        if self.audio is not None:
            x = self.audio.samples if self.audio.samples.ndim == 2 else self.audio.samples[:, None]
            for start in range(0, x.shape[0], block_frames):
                yield self._mix(x[start:start + block_frames])
            return
        assert self.path is not None
        if self.ffmpeg:
            for block in iter_decode(self.path, self.stored_channels, block_frames,
                                     self.ffmpeg_rate):
                yield self._mix(block)
            return
        try:
            with quiet_mpeg(self.path):
                f = sf.SoundFile(str(self.path))
            with f:
                while True:
                    with quiet_mpeg(self.path):  # never held across a yield
                        block = f.read(block_frames, dtype="float32", always_2d=True)
                    if not len(block):
                        break
                    yield self._mix(block)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise MediaError(f"cannot read the audio: {last_line(exc)}", self.path) from exc

    def load(self) -> Audio:
        """The whole signal in memory (as it is stored: channels are not mixed)."""
        if self.audio is not None:
            return self.audio
        assert self.path is not None
        return decode(self.path)

    def mixed_to(self, channels: int) -> BlockSource:
        return replace(self, channels=channels)

    def resampled_by_ffmpeg(self, rate: int) -> BlockSource | None:
        """The same file streamed through ffmpeg's resampler (None for decoded audio)."""
        if self.path is None or self.audio is not None:
            return None
        return replace(self, sample_rate=rate, frames=self.frames * rate // self.sample_rate,
                       ffmpeg=True, ffmpeg_rate=rate)

    def _mix(self, block: np.ndarray) -> np.ndarray:
        if block.shape[1] == self.channels:
            return block
        return to_channels(Audio(block, self.sample_rate, self.path), self.channels).samples


def block_source(src: Audio | Path, channels: int | None = None) -> BlockSource:
    """A BlockSource over decoded audio, or over a file, streamed on every pass: by
    libsndfile when it reads the format, else (M4A, ...) by ffmpeg."""
    if isinstance(src, Audio):
        have = src.channels
        return BlockSource(src.sample_rate, channels or have, src.frames, src.path, src, have)
    path = Path(src)
    try:
        info = sf_info(path)
        readable = info.frames > 0 and info.samplerate > 0
    except (sf.LibsndfileError, RuntimeError):
        readable = False
    if readable:
        return BlockSource(int(info.samplerate), channels or info.channels, int(info.frames),
                           path, None, info.channels)
    rate, have, seconds = _probe_stream(path)
    return BlockSource(rate, channels or have, int(seconds * rate), path, None, have,
                       ffmpeg=True)


def _probe_stream(path: Path) -> tuple[int, int, float]:
    """Sample rate, channels and duration of the first audio stream, by ffprobe."""
    if not path.is_file():
        raise MediaError("file not found" if not path.exists() else "not a file", path)
    meta, err = ffprobe(path, "stream=sample_rate,channels,duration:format=duration")
    if not meta.get("streams"):
        raise MediaError(f"not an audio file ({last_line(err) or 'no audio stream'})", path)
    try:
        stream = meta["streams"][0]
        # the audio stream's own length: a video's container can run longer than its sound
        seconds = stream.get("duration") or meta.get("format", {}).get("duration", 0.0)
        return int(stream["sample_rate"]), int(stream["channels"]), float(seconds)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise MediaError(f"not an audio file ({last_line(err) or exc})", path) from exc


def probe_duration(path: Path) -> float:
    """Duration in seconds, read from the header (soundfile) or by ffprobe: no decode."""
    path = Path(path)
    if not path.is_file():
        raise MediaError("file not found", path)
    try:
        info = sf_info(path)
        if info.frames > 0 and info.samplerate > 0:
            return info.frames / float(info.samplerate)
    except (sf.LibsndfileError, RuntimeError):
        pass
    meta, err = ffprobe(path, "format=duration:stream=codec_type")
    try:
        if not meta.get("streams"):
            raise ValueError("no audio stream")
        return float(meta["format"]["duration"])
    except (KeyError, TypeError, ValueError) as exc:
        raise MediaError(f"not an audio file ({last_line(err) or exc})", path) from exc


def prefetch(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Yield ``items`` produced ahead by a helper thread (decoding, reading from disk or
    a pipe release the GIL, so the consumer computes while the next block arrives)."""
    box: queue.Queue[tuple[bool, object]] = queue.Queue(depth)
    stop = threading.Event()
    source = iter(items)

    def put(item: tuple[bool, object]) -> bool:
        while not stop.is_set():
            with contextlib.suppress(queue.Full):
                box.put(item, timeout=0.1)
                return True
        return False

    def produce() -> None:
        try:
            for item in source:
                if not put((False, item)):
                    break
            else:
                put((True, None))
        except BaseException as exc:  # handed to the consumer, raised there
            put((True, exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="prefetch", daemon=True)
    worker.start()
    try:
        while True:
            done, item = box.get()
            if done:
                if isinstance(item, BaseException):
                    raise item
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()




def to_channels(audio: Audio, n: int) -> Audio:
    """Mix ``audio`` to ``n`` channels (1 or 2; same count returns ``audio`` itself).

    Mono -> stereo duplicates. To mono: the plain mean of the channels. To stereo from
    3-6 channels: ITU-R BS.775 for the standard WAV orders (L R C / L R Ls Rs /
    L R C Ls Rs / 5.1 with LFE dropped), centre and surrounds at -3 dB; more than six
    channels, whose layout a WAV does not tell reliably, go to stereo as the plain mean.
    Levels are not rescaled: loudness normalization follows.
    """
    x = audio.samples if audio.samples.ndim == 2 else audio.samples[:, None]
    have = x.shape[1]
    if n == have:
        return audio
    if n == 1:
        mixed = x.mean(axis=1, dtype=np.float32)[:, None]
    elif n == 2 and have == 1:
        mixed = np.repeat(x, 2, axis=1)
    elif n == 2 and have in _BS775:
        mixed = x @ _BS775[have].astype(np.float32)
    elif n == 2:
        mixed = np.repeat(x.mean(axis=1, dtype=np.float32)[:, None], 2, axis=1)
    else:
        raise MediaError(f"cannot mix {have} channels to {n}", audio.path)
    return Audio(samples=np.ascontiguousarray(mixed, dtype=np.float32),
                 sample_rate=audio.sample_rate, path=audio.path)


def resample(audio: Audio, rate: int) -> Audio:
    """Polyphase resampling (scipy.signal.resample_poly, Kaiser window) to ``rate`` Hz."""
    if rate == audio.sample_rate:
        return audio
    if rate <= 0:
        raise MediaError(f"invalid sample rate {rate}", audio.path)
    g = gcd(int(rate), int(audio.sample_rate))
    up, down = int(rate) // g, int(audio.sample_rate) // g
    x = audio.samples if audio.samples.ndim == 2 else audio.samples[:, None]
    out = np.empty((-(-x.shape[0] * up // down), x.shape[1]), dtype=np.float32)
    for c in range(x.shape[1]):  # per channel: contiguous input is several times faster
        y = resample_poly(np.ascontiguousarray(x[:, c]), up, down)
        out[:, c] = y[: out.shape[0]]
    return Audio(samples=out, sample_rate=int(rate), path=audio.path)
