"""A recording's format (rate, channels, bit depth) and its consistency across a batch."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from audio_pipeline.types import AudioCheck


@dataclass(frozen=True)
class AudioFormat:
    sample_rate: int
    channels: int
    bit_depth: int | None  # None: lossy (MP3, AAC, ...) or not stated
    codec: str

    def label(self) -> str:
        depth = f"{self.bit_depth}-bit" if self.bit_depth else "lossy"
        return f"{self.sample_rate} Hz, {self.channels} ch, {depth} {self.codec}"

    def report(self) -> AudioCheck:
        return AudioCheck("format", "info", float(self.sample_rate), "Hz", "", self.label())


def probe_format(path: Path) -> AudioFormat:
    from audio_pipeline.errors import MediaError
    from audio_pipeline.media import ffprobe, last_line

    meta, err = ffprobe(path, "stream=sample_rate,channels,bits_per_raw_sample,"
                              "bits_per_sample,codec_name")
    try:
        s = meta["streams"][0]
        bits = int(s.get("bits_per_raw_sample") or 0) or int(s.get("bits_per_sample") or 0)
        return AudioFormat(int(s["sample_rate"]), int(s["channels"]), bits or None,
                           str(s.get("codec_name", "")))
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise MediaError(f"not an audio file ({last_line(err) or exc})", path) from exc


def batch_consistency(formats: Sequence[tuple[str, AudioFormat]]) -> list[str]:
    """One line per property on which the batch's recordings differ, naming the odd ones
    (those off the most common value)."""
    problems: list[str] = []
    for what, key in (("sample rate", lambda f: f"{f.sample_rate} Hz"),
                      ("channels", lambda f: f"{f.channels} ch"),
                      ("bit depth", lambda f: f"{f.bit_depth}-bit" if f.bit_depth
                       else "lossy")):
        values = Counter(key(f) for _, f in formats)
        if len(values) < 2:
            continue
        common = values.most_common(1)[0][0]
        odd = [f"{slug} ({key(f)})" for slug, f in formats if key(f) != common]
        problems.append(f"{what} differs across the batch: most are {common}; "
                        + ", ".join(odd))
    return problems
