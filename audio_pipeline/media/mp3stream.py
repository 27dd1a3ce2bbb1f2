"""MP3 encoding through an ffmpeg pipe, with the encoded stream decoded as it is written.

``mp3_writer`` feeds LAME from a helper thread (the caller renders the next block while
ffmpeg encodes) and publishes the file atomically. Its ``EncodedTap`` receives the
same MP3 frames, decoded by a second ffmpeg while the first one encodes: the loudness
check of the real encoded audio then costs no time after the encode. ffmpeg's tee
muxer writes both outputs from one encode (the file is byte-identical to a plain
encode); the tap drops LAME's start delay and end padding as the file's gapless header
says, and is verified against the finished file before it counts as its decode.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import numpy as np

from audio_pipeline import fsutil
from audio_pipeline.errors import MediaError
from audio_pipeline.media.ffmpeg import (
    BLOCK_FRAMES,
    ffprobe,
    iter_decode,
    last_line,
    require_ffmpeg,
)
from audio_pipeline.types import Audio

__all__ = ["EncodedTap", "encode_mp3", "mp3_writer"]

_LAME_DELAY = 1105  # frames before the audio in a decoded LAME stream (576 + 529)
_TAIL_HOLD = 1 << 14  # frames held back by a tap: the encoder's end padding is shorter
_HEAD = 1 << 16  # frames compared between a tap and the written file


class EncodedTap:
    """The MP3 being written, decoded while it is encoded, as ffmpeg decodes the file.

    ``consume`` gets float32 (frames, channels) blocks from a helper thread: exactly the
    samples a decode of the finished file gives (LAME's start delay and end padding
    trimmed as the file's gapless header says). After ``mp3_writer`` returns, ``exact``
    tells whether that was verified against the written file (the header's start delay
    and the first samples); when it is False, measure the file itself instead.
    """

    def __init__(self, consume: Callable[[np.ndarray], None]) -> None:
        self.consume = consume
        self.exact = False
        self.frames = 0
        self.error: BaseException | None = None
        self._head = np.zeros((0, 0), dtype=np.float32)

    def _run(self, stdout: IO[bytes], channels: int, expected: Callable[[], int | None]) -> None:
        """Read the decoder's output: skip the delay, hold back what may be padding."""
        width = 4 * channels
        skip, held = _LAME_DELAY, np.zeros((0, channels), dtype=np.float32)
        try:
            while True:
                buf = stdout.read(BLOCK_FRAMES * width)
                block = np.frombuffer(buf[: len(buf) - len(buf) % width], "<f4")
                block = block.reshape(-1, channels)[skip:]
                skip = max(skip - len(buf) // width, 0)
                held = np.concatenate([held, block]) if held.size else block
                total = expected() if not buf else None
                cut = held.shape[0] - _TAIL_HOLD if buf else min(held.shape[0], max(
                    (total or 0) - self.frames, 0))
                if cut > 0:
                    out, held = held[:cut], held[cut:]
                    if self._head.shape[0] < _HEAD:
                        self._head = np.concatenate([self._head.reshape(-1, channels),
                                                     out[: _HEAD - self._head.shape[0]]])
                    self.frames += out.shape[0]
                    if self.error is None:
                        self.consume(out)
                if not buf:
                    return
        except BaseException as exc:  # raised by the writer once encoding is over
            self.error = exc
            with contextlib.suppress(OSError):
                while stdout.read(1 << 20):  # keep the encoder flowing to its end
                    pass

    def _verify(self, tmp: Path, channels: int, frames: int) -> None:
        """Exact when the file's gapless start is ours and its first samples match."""
        if self.error is not None or self.frames != frames:
            return
        try:
            st = ffprobe(tmp, "stream=start_pts,time_base,sample_rate")[0]["streams"][0]
            num, den = (int(v) for v in st["time_base"].split("/"))
            delay = int(st["start_pts"]) * num * int(st["sample_rate"]) / den
        except (OSError, MediaError, KeyError, IndexError, ValueError, TypeError):
            return  # no ffprobe, or a header it cannot read: the caller measures the file
        if abs(delay - _LAME_DELAY) > 1e-6:
            return
        blocks = iter_decode(tmp, channels, block_frames=_HEAD)
        try:
            head = next(blocks, np.zeros((0, channels), dtype=np.float32))
        finally:
            blocks.close()  # type: ignore[attr-defined]  # a generator: stops ffmpeg
        head = head[: self._head.shape[0]]
        self.exact = bool(np.array_equal(head, self._head))


def _enlarge_pipe(stream: IO[bytes] | None) -> None:
    # 1 MiB instead of 64 KiB: a few seconds of audio queued between the processes, so
    # neither side waits on the other's scheduling
    if stream is not None and hasattr(fcntl, "F_SETPIPE_SZ"):
        with contextlib.suppress(OSError):
            fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)


@contextlib.contextmanager
def mp3_writer(
    dest: Path, sample_rate: int, channels: int, *, bitrate_kbps: int = 128,
    out_rate: int | None = None, tap: EncodedTap | None = None,
) -> Iterator[Callable[[np.ndarray], None]]:
    """Context manager giving ``write(block)`` that streams float32 frames into LAME.

    Blocks are handed to the encoder by a helper thread, so the caller computes the next
    one while ffmpeg encodes. The MP3 goes to a temporary file beside ``dest`` and
    replaces it only when ffmpeg succeeds, so a failed or interrupted encode never
    leaves a partial ``dest``; it gets ``dest``'s mode, or the one open() would give.
    With a ``tap`` (no ``out_rate``), ffmpeg's tee muxer also sends the same MP3 frames
    to a decoder whose output ``tap`` receives while the file is written.
    """
    dest = Path(dest)
    if channels not in (1, 2):
        raise MediaError(f"MP3 holds 1 or 2 channels, got {channels}: downmix first", dest)
    require_ffmpeg(dest)
    if not dest.parent.is_dir():
        raise MediaError("output folder does not exist", dest)
    # A plain name in dest's folder (ffmpeg runs there): nothing for tee to escape.
    tmp = dest.with_name(f".mp3-{os.getpid()}-{uuid.uuid4().hex[:12]}.part")
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "f32le", "-ar", str(sample_rate),
           "-ac", str(channels), "-i", "pipe:0", "-map", "0:a", "-c:a", "libmp3lame",
           "-b:a", f"{int(bitrate_kbps)}k"]
    if out_rate is not None and out_rate != sample_rate:
        cmd += ["-ar", str(int(out_rate))]
        tap = None  # the decoded stream would no longer be comparable
    cmd += ["-f", "tee", f"[f=mp3]{tmp.name}|[f=mp3]pipe:1"] if tap else ["-f", "mp3", tmp.name]
    err_file = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=err_file, cwd=dest.parent,
                            stdout=subprocess.PIPE if tap else subprocess.DEVNULL)
    assert proc.stdin is not None
    _enlarge_pipe(proc.stdin)
    fed = [0]
    threads: list[threading.Thread] = []
    decoder: subprocess.Popen[bytes] | None = None
    if tap is not None:
        assert proc.stdout is not None
        _enlarge_pipe(proc.stdout)
        decoder = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-v", "error", "-f", "mp3", "-i", "pipe:0", "-f", "f32le",
             "-ac", str(channels), "pipe:1"],
            stdin=proc.stdout, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        proc.stdout.close()  # the decoder holds it now
        assert decoder.stdout is not None
        _enlarge_pipe(decoder.stdout)
        done = threading.Event()
        threads.append(threading.Thread(
            target=tap._run, args=(decoder.stdout, channels,
                                   lambda: fed[0] if done.is_set() else None),
            name="mp3-tap", daemon=True))
    pending: queue.Queue[bytes | None] = queue.Queue(4)
    failed: list[BaseException] = []

    def pump() -> None:
        assert proc.stdin is not None
        while (data := pending.get()) is not None:
            if failed:
                continue
            try:
                proc.stdin.write(data)
            except (BrokenPipeError, OSError) as exc:
                failed.append(exc)
        with contextlib.suppress(OSError):
            proc.stdin.close()

    threads.append(threading.Thread(target=pump, name="mp3-pump", daemon=True))
    for thread in threads:
        thread.start()

    def write(block: np.ndarray) -> None:
        data = np.ascontiguousarray(block, dtype="<f4")
        if data.ndim != 2 or data.shape[1] != channels:
            raise MediaError(f"block shape {data.shape} does not match {channels} channels", dest)
        if failed:
            raise MediaError("the MP3 encoder stopped early", dest)
        pending.put(data.tobytes())
        fed[0] += data.shape[0]

    ok = False
    try:
        yield write
        ok = True
    finally:
        if tap is not None:
            done.set()
        pending.put(None)
        threads[-1].join()
        rc = proc.wait()
        for thread in threads[:-1]:
            thread.join()
        if decoder is not None:
            decoder.wait()
        err_file.seek(0)
        err = err_file.read().decode(errors="replace")
        err_file.close()
        # ffmpeg exits 0 when it cannot write the file (a full disk): its message says so
        unwritten = next((ln for ln in err.splitlines() if ln.startswith(
            ("Error writing", "Error closing")) or "No space left" in ln), None)
        if ok and rc == 0 and unwritten is not None:
            tmp.unlink(missing_ok=True)
            raise MediaError(f"cannot write the MP3: {unwritten.rsplit(': ', 1)[-1]}", dest)
        if ok and rc == 0:
            if tap is not None:
                tap._verify(tmp, channels, fed[0])
            try:
                os.chmod(tmp, dest.stat().st_mode & 0o7777 if dest.is_file()
                         else fsutil.default_mode())
                os.replace(tmp, dest)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise MediaError(f"cannot write the MP3: {exc.strerror}", dest) from exc
        else:
            tmp.unlink(missing_ok=True)
            if ok:  # an exception already in flight wins over ours
                raise MediaError(f"MP3 encoding failed: {last_line(err)}", dest)


def encode_mp3(
    audio: Audio, dest: Path, *, bitrate_kbps: int = 128, sample_rate: int | None = None
) -> Path:
    """Encode ``audio`` to a CBR MP3 (LAME via ffmpeg) at ``dest``, atomically.

    ``sample_rate`` resamples in ffmpeg only when given (ffmpeg also resamples by itself
    a rate MPEG cannot hold, e.g. 96 kHz -> 48 kHz); channels are taken as they are (1 or
    2: use ``to_channels`` first for anything else).
    """
    dest = Path(dest)
    samples = audio.samples if audio.samples.ndim == 2 else audio.samples[:, None]
    with mp3_writer(dest, audio.sample_rate, samples.shape[1], bitrate_kbps=bitrate_kbps,
                    out_rate=sample_rate) as write:
        for start in range(0, samples.shape[0], BLOCK_FRAMES):
            write(samples[start:start + BLOCK_FRAMES])
    return dest
