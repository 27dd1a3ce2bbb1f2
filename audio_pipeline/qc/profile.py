"""Check profiles: the thresholds of the audio checks, as data (``profiles/<name>.toml``).

The config picks a profile (``audio_checks``) and may override any threshold in its
``[check_limits]`` table; dead air is the config's ``long_pause``, the one definition the
aligner's ``long_pause`` issue uses too.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from importlib import resources
from typing import Any

from audio_pipeline.errors import ConfigError
from audio_pipeline.metadata.config import PodcastConfig, did_you_mean


@dataclass(frozen=True)
class CheckProfile:
    """Thresholds; None means the check is not judged (its figure is still given)."""

    name: str
    description: str = ""
    noise_floor_max_db: float | None = None
    hum_max_db: float | None = None
    room_tone_step_max_db: float | None = None
    clip_run_samples: int = 3
    dc_offset_max_db: float | None = None
    head_min_s: float | None = None
    head_max_s: float | None = None
    tail_min_s: float | None = None
    tail_max_s: float | None = None
    wpm_min: float | None = None
    wpm_max: float | None = None
    dead_channel_db: float | None = None
    rms_min_db: float | None = None
    rms_max_db: float | None = None
    peak_max_db: float | None = None
    long_pause_s: float = 5.0  # dead air: from the config's long_pause


LIMITS = tuple(f.name for f in fields(CheckProfile) if f.name not in ("name", "description",
                                                                       "long_pause_s"))


def known_profiles() -> tuple[str, ...]:
    folder = resources.files("audio_pipeline.qc").joinpath("profiles")
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml")))


def _values(data: dict[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "description":
            out[key] = str(value)
            continue
        if key not in LIMITS:
            raise ConfigError(f"{where}: unknown check limit {key!r}"
                              f"{did_you_mean(key, LIMITS)}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: {key} must be a number, got {value!r}")
        out[key] = int(value) if key == "clip_run_samples" else float(value)
    return out


def load_profile(name: str = "podcast", overrides: dict[str, Any] | None = None, *,
                 long_pause: float = 5.0) -> CheckProfile:
    """The named profile with ``overrides`` applied; ConfigError names what is wrong."""
    known = known_profiles()
    if name not in known:
        raise ConfigError(f"unknown audio check profile {name!r}; known: {', '.join(known)}")
    text = resources.files("audio_pipeline.qc").joinpath("profiles", f"{name}.toml").read_text()
    profile = CheckProfile(name=name, long_pause_s=float(long_pause),
                           **_values(tomllib.loads(text), f"profile {name!r}"))
    return replace(profile, **_values(dict(overrides or {}), "check_limits"))


def profile_for(config: PodcastConfig, name: str | None = None) -> CheckProfile:
    """The profile a config asks for (``name`` overrides its ``audio_checks``)."""
    try:
        return load_profile(name or config.audio_checks, config.check_limits,
                            long_pause=config.long_pause)
    except ConfigError as exc:
        raise ConfigError(exc.message, config.path) from None
