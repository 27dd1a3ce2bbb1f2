"""Loudness presets: data files in ``presets/`` (target, ceiling, channels), read by name."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

from audio_pipeline.errors import LoudnessError


@dataclass(frozen=True)
class Preset:
    name: str
    target: float  # LUFS
    ceiling: float  # dBTP
    dual_mono: bool = False  # measure mono as played on two loudspeakers (+3 dB)
    channels: int | None = None  # output channels the preset implies (None: keep, max 2)
    description: str = ""


def known_presets() -> tuple[str, ...]:
    folder = resources.files("audio_pipeline.loudness").joinpath("presets")
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml")))


def load_preset(name: str) -> Preset:
    """Read ``presets/<name>.toml``; LoudnessError names the known presets otherwise."""
    known = known_presets()
    if name not in known:
        raise LoudnessError(f"unknown loudness preset {name!r}; known: {', '.join(known)}")
    presets = resources.files("audio_pipeline.loudness").joinpath("presets")
    text = presets.joinpath(f"{name}.toml").read_text()
    try:
        data = tomllib.loads(text)
        channels = data.get("channels")
        return Preset(name=name, target=float(data["target"]), ceiling=float(data["ceiling"]),
                      dual_mono=bool(data.get("dual_mono", False)),
                      channels=None if channels is None else int(channels),
                      description=str(data.get("description", "")))
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise LoudnessError(f"preset {name!r} is malformed: {exc}") from exc
