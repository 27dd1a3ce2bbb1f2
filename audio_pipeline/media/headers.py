"""What libsndfile is asked about a file, quietly, and what a WAV header declares."""

from __future__ import annotations

import contextlib
import os
import struct
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import soundfile as sf

_FD2_LOCK = threading.Lock()


@contextlib.contextmanager
def quiet_mpeg(path: Path) -> Iterator[None]:
    """Silence file descriptor 2 while libsndfile reads an MPEG file: its libmpg123 prints
    notes ("Trying to resync...", "Xing stream size off") straight to it, which would
    break the CLI's one-line errors; what is wrong is reported by our own MediaError."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
    except OSError:
        head = b""
    if not (head[:2] == b"ID" or (len(head) == 2 and head[0] == 0xFF and head[1] >= 0xE0)):
        yield
        return
    with _FD2_LOCK:
        sys.stderr.flush()
        saved = os.dup(2)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def sf_info(path: Path) -> sf._SoundFileInfo:
    with quiet_mpeg(path):
        return sf.info(str(path))


def wav_declared_seconds(path: Path) -> float | None:
    """The length a WAV's header declares (its data chunk), which libsndfile silently
    clamps to what the file holds: a cut-off WAV would otherwise read as complete."""
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"RIFF" or fh.read(8)[4:] != b"WAVE":
                return None
            block = rate = 0
            while len(chunk := fh.read(8)) == 8:
                cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if cid == b"fmt ":
                    fmt = fh.read(size + (size & 1))
                    rate, block = struct.unpack("<I", fmt[4:8])[0], struct.unpack(
                        "<H", fmt[12:14])[0]
                    continue
                if cid == b"data":
                    return size / block / rate if block and rate and size < 0xFFFFFFFF else None
                fh.seek(size + (size & 1), os.SEEK_CUR)
    except (OSError, struct.error):
        return None
    return None
