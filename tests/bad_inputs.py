"""Bad inputs a producer drops into the build server's folder, made on the spot.

Each maker writes tiny files into a folder (an hour of silence or noise is 8 kHz mono,
made by sox in a second) from one short espeak-ng clip, so nothing large is committed.
tests/test_robust_inputs.py runs the real CLI on every one.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

SPEECH_TEXT = "The narrator reads a short sentence. Then she reads another one."
ARTICLE = "# A Short Article\n\nThe narrator reads a short sentence. Then she reads another one.\n"


def run(*cmd: str) -> None:
    subprocess.run(list(cmd), check=True, capture_output=True)


def ffmpeg(*args: str) -> None:
    run("ffmpeg", "-nostdin", "-v", "error", "-y", *args)


def speech_samples(wav: Path) -> tuple[np.ndarray, int]:
    data, rate = sf.read(str(wav), dtype="float32", always_2d=True)
    return data[:, 0], int(rate)


def encoded(speech: Path, dest: Path) -> Path:
    """The speech clip in the format ``dest``'s suffix names."""
    codec = {".ogg": ["-c:a", "libvorbis"], ".m4a": ["-c:a", "aac"],
             ".mp3": ["-c:a", "libmp3lame", "-b:a", "64k"]}.get(dest.suffix, [])
    ffmpeg("-i", str(speech), *codec, str(dest))
    return dest


def truncated(speech: Path, dest: Path) -> Path:
    """The first third of an encoded file: a cut-off upload."""
    whole = encoded(speech, dest.with_name("whole" + dest.suffix)).read_bytes()
    dest.with_name("whole" + dest.suffix).unlink()
    dest.write_bytes(whole[: len(whole) // 3])
    return dest


def with_channels(speech: Path, dest: Path, channels: int) -> Path:
    x, rate = speech_samples(speech)
    # the voice in the front channels, quieter copies elsewhere: a real multichannel file
    gains = np.array([1.0, 0.9, 0.7, 0.0, 0.5, 0.5, 0.3, 0.3][:channels], dtype=np.float32)
    sf.write(str(dest), x[:, None] * gains[None, :], rate, subtype="PCM_16")
    return dest


def resampled(speech: Path, dest: Path, rate: int) -> Path:
    ffmpeg("-i", str(speech), "-ar", str(rate), str(dest))
    return dest


def with_subtype(speech: Path, dest: Path, subtype: str) -> Path:
    x, rate = speech_samples(speech)
    sf.write(str(dest), x, rate, subtype=subtype)
    return dest


def clipped(speech: Path, dest: Path) -> Path:
    """Speech driven 30 dB into the ceiling: almost every word sample is at full scale."""
    x, rate = speech_samples(speech)
    sf.write(str(dest), np.clip(x * 31.6, -1.0, 1.0), rate, subtype="PCM_16")
    return dest


def non_finite(speech: Path, dest: Path, value: float) -> Path:
    x, rate = speech_samples(speech)
    x = x.copy()
    x[len(x) // 2 : len(x) // 2 + 100] = value
    sf.write(str(dest), x, rate, subtype="FLOAT")
    return dest


def zero_frames(dest: Path) -> Path:
    sf.write(str(dest), np.zeros(0, dtype=np.float32), 16000, subtype="PCM_16")
    return dest


def short(dest: Path) -> Path:
    """100 ms of a tone."""
    t = np.arange(1600) / 16000
    sf.write(str(dest), (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000)
    return dest


def hour_of_silence(dest: Path) -> Path:
    run("sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(dest), "trim", "0", "3600")
    return dest


def hour_of_noise(dest: Path) -> Path:
    run("sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(dest), "synth", "3600",
        "pinknoise", "vol", "0.2")
    return dest


def id3_junk(speech: Path, dest: Path) -> Path:
    """An MP3 behind an ID3v2 header whose frames are random bytes."""
    mp3 = encoded(speech, dest.with_name("plain.mp3"))
    body = mp3.read_bytes()
    mp3.unlink()
    junk = np.random.default_rng(7).integers(0, 256, 3000, dtype=np.uint8).tobytes()
    size = len(junk)
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    dest.write_bytes(b"ID3\x03\x00\x00" + syncsafe + junk + body)
    return dest


def huge_apic(speech: Path, dest: Path) -> Path:
    """An MP3 whose existing tag carries an 8 MB cover picture."""
    from mutagen.id3 import APIC, ID3, TIT2

    encoded(speech, dest)
    tags = ID3()
    tags.add(TIT2(encoding=3, text="Old title"))
    tags.add(APIC(encoding=3, mime="image/png", type=3, desc="cover",
                  data=b"\x89PNG\r\n\x1a\n" + bytes(8 * 1024 * 1024)))
    tags.save(str(dest))
    return dest


def video(speech: Path, dest: Path) -> Path:
    ffmpeg("-f", "lavfi", "-i", "color=c=blue:size=64x64:rate=5", "-i", str(speech),
           "-shortest", "-c:v", "libx264", "-c:a", "aac", "-pix_fmt", "yuv420p", str(dest))
    return dest


def image(dest: Path) -> Path:
    ffmpeg("-f", "lavfi", "-i", "color=c=red:size=16x16", "-frames:v", "1", "-f", "image2",
           "-c:v", "png", str(dest))
    return dest


def pdf(dest: Path) -> Path:
    dest.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")
    return dest


def random_bytes(dest: Path, n: int = 20000) -> Path:
    dest.write_bytes(np.random.default_rng(1).integers(0, 256, n, dtype=np.uint8).tobytes())
    return dest


def copy(src: Path, dest: Path) -> Path:
    shutil.copyfile(src, dest)
    return dest


def wav_header_only(dest: Path) -> Path:
    """A RIFF header with no chunks after it."""
    dest.write_bytes(b"RIFF" + struct.pack("<I", 4) + b"WAVE")
    return dest
