"""ffmpeg and ffprobe in one place: finding them, probing a stream, decoding through a pipe.

Every other module that needs ffmpeg goes through these helpers, so a missing tool or an
unreadable stream always gives the same one-line MediaError naming the file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from audio_pipeline.errors import MediaError

BLOCK_FRAMES = 1 << 18  # frames per pipe read or write: bounded memory, few syscalls
# The sample rates MPEG-1/2/2.5 Layer III can hold; config checks and the encoder share it.
MP3_SAMPLE_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
MP3_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)


TIMEOUT_ENV = "AUDIO_PIPELINE_FFMPEG_TIMEOUT"


def tool_timeout() -> float:
    """Seconds ffprobe may take, or ffmpeg may go without handing over audio, before it
    is killed: a file on a stalled network mount or a FIFO would hang a build server."""
    try:
        return max(0.1, float(os.environ.get(TIMEOUT_ENV, "") or 300.0))
    except ValueError:
        return 300.0


def require_ffmpeg(path: Path | None) -> None:
    if shutil.which("ffmpeg") is None:
        raise MediaError("ffmpeg is not installed (needed for this format and for MP3)", path)


def last_line(text: object) -> str:
    """The last non-empty line of a tool's message: where ffmpeg says what went wrong."""
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def ffprobe(path: Path, entries: str) -> tuple[dict[str, Any], str]:
    """ffprobe's JSON for the first audio stream (``-show_entries entries``) and its stderr.

    Raises MediaError when ffprobe is missing; a file ffprobe cannot read gives ``{}``
    and the reason, for the caller to word its own error.
    """
    if shutil.which("ffprobe") is None:
        raise MediaError("cannot read this format: ffprobe is not installed", path)
    try:
        proc = subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", entries,
             "-of", "json", os.path.abspath(path)],  # absolute: "-x.wav" is not an option
            capture_output=True, text=True, check=False, timeout=tool_timeout())
    except subprocess.TimeoutExpired:
        raise MediaError(f"ffprobe did not answer in {tool_timeout():g} s and was stopped",
                         path) from None
    try:
        return json.loads(proc.stdout or "{}"), proc.stderr
    except ValueError:
        return {}, proc.stderr


def mp3_rate(rate: int) -> int:
    """The MP3 sample rate for ``rate``: itself when MPEG allows it, else the highest
    allowed rate dividing it (88.2 kHz -> 44.1 kHz, 96 kHz -> 48 kHz), else the
    nearest allowed rate above it (capped at 48 kHz)."""
    if rate in MP3_SAMPLE_RATES:
        return rate
    dividing = [r for r in MP3_SAMPLE_RATES if rate % r == 0]
    if dividing:
        return max(dividing)
    return next((r for r in MP3_SAMPLE_RATES if r >= rate), MP3_SAMPLE_RATES[-1])


def iter_decode(path: Path, channels: int, block_frames: int = BLOCK_FRAMES,
                rate: int | None = None) -> Iterator[np.ndarray]:
    """Yield float32 blocks (frames, channels) decoded by ffmpeg, without holding the file.

    Used to re-measure long encoded files and to stream what libsndfile cannot read
    (M4A, ...) at low memory; ffmpeg honours the LAME gapless header, so the blocks are
    what a player (and ffmpeg's ebur128) hears. ``rate`` resamples in ffmpeg.
    """
    require_ffmpeg(path)
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0",
           "-f", "f32le", "-ac", str(channels)]
    cmd += ["-ar", str(int(rate)), "-"] if rate else ["-"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    nbytes = block_frames * channels * 4
    finished = False
    reading: list[float | None] = [None]  # when the pending read began
    stalled = threading.Event()

    def watch() -> None:  # only time spent waiting on ffmpeg counts, not the consumer's
        limit = tool_timeout()
        while proc.poll() is None:
            began = reading[0]
            if began is not None and time.monotonic() - began > limit:
                stalled.set()
                proc.kill()
                return
            time.sleep(min(1.0, limit / 4))

    threading.Thread(target=watch, name="ffmpeg-watchdog", daemon=True).start()
    try:
        while True:
            reading[0] = time.monotonic()
            buf = proc.stdout.read(nbytes)
            reading[0] = None
            if stalled.is_set():
                raise MediaError(f"ffmpeg gave no audio for {tool_timeout():g} s and was "
                                 "stopped", path)
            if not buf:
                break
            usable = len(buf) - len(buf) % (channels * 4)
            yield np.frombuffer(buf[:usable], dtype="<f4").reshape(-1, channels)
        finished = True
    finally:
        if not finished:  # the consumer stopped early: stop ffmpeg, report nothing
            proc.kill()
        proc.stdout.close()
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        if proc.wait() != 0 and finished:
            raise MediaError(f"ffmpeg could not decode: {last_line(err)}", path)
