"""Podcast-level configuration: a TOML file of ``PodcastConfig`` keys and its validation.

Precedence: command-line flags (``with_overrides``) > the config file > built-in defaults.
The file is flat TOML with the keys of ``PodcastConfig`` (a single ``[podcast]`` table
holding them is accepted too, so a manifest's ``[podcast]`` table can be copied verbatim).
Relative paths (``cover``) are relative to the file. Every problem names the file and
the key; syntax errors carry tomllib's line and column.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from audio_pipeline.errors import ConfigError
from audio_pipeline.media.ffmpeg import MP3_BITRATES, MP3_SAMPLE_RATES

CONFIG_ENV = "AUDIO_PIPELINE_CONFIG"
# The defaults ship inside the package (the repository's config/podcast.toml is a copy to
# edit), so an installed wheel finds them as well as a checkout does.
PACKAGED_CONFIG = Path(
    str(resources.files("audio_pipeline.metadata").joinpath("defaults", "podcast.toml"))
)


LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")  # "en", "en-GB", "pt-BR"
_PRESET_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class PodcastConfig:
    podcast: str = ""
    publisher: str = ""
    narrator: str = ""
    production_company: str = ""
    language: str = "auto"  # "auto": from the article, confirmed by the audio
    website: str = ""  # footer "Learn more on the ... website"
    loudness_preset: str = "podcast"
    target_lufs: float | None = None  # overrides the preset when set
    true_peak: float | None = None
    bitrate_kbps: int = 128
    sample_rate: int = 44100
    channels: int | None = None  # None: mono narration stays mono, otherwise stereo
    model: str = "tiny.en"
    engine: str = "openai-whisper"  # or "faster-whisper" (the `fast` extra)
    vad: bool = False  # faster-whisper: skip silence with its bundled Silero VAD
    compute_type: str = "auto"  # faster-whisper: auto = float32 on a CPU, float16 on a GPU
    long_pause: float = 5.0
    edit: bool = False  # render <slug>.edited.mp3 from the edit list (edit/)
    edit_pause: float = 1.0  # seconds a long pause is shortened to
    edit_inserted: bool = False  # also cut verified ad-libs
    leveler: bool = True  # False: gain and limiter only (loudness.normalizer)
    audio_checks: str = "podcast"  # the check profile (qc/profiles/)
    check_limits: dict[str, float] = dataclasses.field(default_factory=dict)  # over it
    id3_version: int = 4  # 4 or 3
    cover: Path | None = None
    # The feed (publish.feed): where the output folder is served, so enclosures and
    # transcript links are absolute URLs; the channel's iTunes fields.
    feed_base_url: str = ""
    feed_description: str = ""
    feed_author: str = ""  # itunes:author; the publisher when empty
    feed_category: str = "Technology"  # an Apple Podcasts category
    feed_image: str = ""  # URL of the show's square artwork (JPEG or PNG)
    feed_email: str = ""  # itunes:owner's address (with the publisher's name)
    explicit: bool = False
    path: Path | None = None  # the file it came from


# key -> the kind of value it takes; ``path`` is not settable from a file.
_KINDS: dict[str, str] = {
    "podcast": "str",
    "publisher": "str",
    "narrator": "str",
    "production_company": "str",
    "language": "str",
    "website": "str",
    "loudness_preset": "str",
    "target_lufs": "float?",
    "true_peak": "float?",
    "bitrate_kbps": "int",
    "sample_rate": "int",
    "channels": "int?",
    "model": "str",
    "engine": "str",
    "vad": "bool",
    "compute_type": "str",
    "long_pause": "float",
    "edit": "bool",
    "edit_pause": "float",
    "edit_inserted": "bool",
    "leveler": "bool",
    "audio_checks": "str",
    "check_limits": "table",
    "id3_version": "int",
    "cover": "path?",
    "feed_base_url": "str",
    "feed_description": "str",
    "feed_author": "str",
    "feed_category": "str",
    "feed_image": "str",
    "feed_email": "str",
    "explicit": "bool",
}
CONFIG_KEYS = tuple(_KINDS)

ENGINES = ("openai-whisper", "faster-whisper")
COMPUTE_TYPES = ("auto", "float32", "int8", "int8_float32", "float16", "int8_float16")

_KIND_NAMES = {"table": "a table of numbers", "bool": "true or false", "str": "a string",
               "float": "a number", "int": "an integer", "path": "a path"}


def default_config_path() -> Path | None:
    """``$AUDIO_PIPELINE_CONFIG`` if set, else the defaults shipped in the package."""
    env = os.environ.get(CONFIG_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    return PACKAGED_CONFIG if PACKAGED_CONFIG.is_file() else None


def load_config(path: Path | None = None) -> PodcastConfig:
    """Read a config file (None: ``default_config_path()``, or built-in defaults if none)."""
    if path is None:
        path = default_config_path()
        if path is None:
            return PodcastConfig()
    path = Path(path)
    data = read_toml(path, ConfigError)
    if len(data) == 1 and isinstance(data.get("podcast"), dict):
        data = data["podcast"]
    values, problems = parse_config_table(data, path.parent)
    cfg = PodcastConfig(**values, path=path)
    problems += [f"{key}: {msg}" for key, msg in config_problems(cfg)]
    if problems:
        raise ConfigError("; ".join(problems), path)
    return cfg


def with_overrides(cfg: PodcastConfig, **overrides: Any) -> PodcastConfig:
    """Apply command-line values over ``cfg``; None means 'flag not given'."""
    given = {k: v for k, v in overrides.items() if v is not None}
    unknown = sorted(set(given) - set(_KINDS))
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}", cfg.path)
    if "cover" in given:
        given["cover"] = Path(given["cover"])
    # These values come from the command line, not from cfg.path: naming the config file
    # would send the user to edit a file that is fine.
    problems = [f"{k}: {m}" for k, v in given.items() for m in [_type_problem(k, v)] if m]
    if problems:
        raise ConfigError("; ".join(problems) + " (given on the command line)")
    new = dataclasses.replace(cfg, **{k: _coerce(k, v) for k, v in given.items()})
    problems = [f"{key}: {msg}" for key, msg in config_problems(new) if key in given]
    if problems:
        raise ConfigError("; ".join(problems) + " (given on the command line)")
    return new


# --------------------------------------------------------------------------- helpers shared
# with manifest.py


def read_toml(path: Path, error: type[ConfigError] | Any) -> dict[str, Any]:
    """Parse a TOML file; unreadable or malformed files raise ``error`` naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error("file not found", path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read: {exc}", path) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already ends with "(at line L, column C)".
        raise error(f"TOML syntax error: {exc}", path) from None


def parse_config_table(
    data: dict[str, Any], base_dir: Path | None
) -> tuple[dict[str, Any], list[str]]:
    """Check keys and types of a config table; return the converted values and problems."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in data.items():
        if key not in _KINDS:
            problems.append(f"{key}: unknown key{did_you_mean(key, CONFIG_KEYS)}")
            continue
        problem = _type_problem(key, value)
        if problem:
            problems.append(f"{key}: {problem}")
            continue
        value = _coerce(key, value)
        if key == "cover" and base_dir is not None and not value.is_absolute():
            value = base_dir / value
        values[key] = value
    return values, problems


def config_problems(cfg: PodcastConfig) -> list[tuple[str, str]]:
    """Range checks on a well-typed config: (key, message) pairs."""
    out: list[tuple[str, str]] = []
    if cfg.language != "auto" and not LANGUAGE_RE.match(cfg.language):
        out.append(("language", f"{cfg.language!r} is not a language code like 'en' or 'en-GB' "
                    "(or 'auto')"))
    if not _PRESET_RE.match(cfg.loudness_preset):
        out.append(("loudness_preset", f"{cfg.loudness_preset!r} is not a preset name"))
    if cfg.target_lufs is not None and not -70.0 <= cfg.target_lufs <= -5.0:
        out.append(("target_lufs", f"{cfg.target_lufs} is outside -70..-5 LUFS"))
    if cfg.true_peak is not None and not -20.0 <= cfg.true_peak <= 0.0:
        out.append(("true_peak", f"{cfg.true_peak} is outside -20..0 dBTP"))
    if cfg.bitrate_kbps not in MP3_BITRATES:
        out.append(("bitrate_kbps", f"{cfg.bitrate_kbps} is not an MP3 bitrate {MP3_BITRATES}"))
    if cfg.sample_rate not in MP3_SAMPLE_RATES:
        out.append(("sample_rate", f"{cfg.sample_rate} is not an MP3 sample rate"))
    if cfg.channels not in (None, 1, 2):
        out.append(("channels", f"{cfg.channels} must be 1 or 2 (omit it to keep the input's)"))
    if not 0.0 < cfg.long_pause <= 600.0:
        out.append(("long_pause", f"{cfg.long_pause} must be between 0 and 600 seconds"))
    if not 0.0 <= cfg.edit_pause <= 600.0:
        out.append(("edit_pause", f"{cfg.edit_pause} must be between 0 and 600 seconds"))
    if cfg.id3_version not in (3, 4):
        out.append(("id3_version", f"{cfg.id3_version} must be 3 or 4"))
    if not cfg.model.strip():
        out.append(("model", "must not be empty"))
    for key in ("feed_base_url", "feed_image"):
        value = getattr(cfg, key)
        if value and not re.match(r"^https?://[^\s/]+", value, re.IGNORECASE):
            out.append((key, f"{value!r} is not an http(s) URL"))
    if cfg.engine not in ENGINES:
        out.append(("engine", f"{cfg.engine!r} is not one of {', '.join(ENGINES)}"))
    elif cfg.vad and cfg.engine != "faster-whisper":
        out.append(("vad", "silence skipping needs engine = \"faster-whisper\""))
    if cfg.compute_type not in COMPUTE_TYPES:
        out.append(("compute_type", f"{cfg.compute_type!r} is not one of "
                    f"{', '.join(COMPUTE_TYPES)}"))
    return out


def did_you_mean(key: str, known: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _type_problem(key: str, value: Any) -> str | None:
    kind = _KINDS[key]
    base = kind.rstrip("?")
    ok: bool
    # bool is an int subclass in Python but never a sensible number here.
    if base == "bool":
        ok = isinstance(value, bool)
    elif base == "table":  # names and ranges are the check profile's (qc.profile)
        ok = isinstance(value, dict) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value.values())
    elif isinstance(value, bool):
        ok = False
    elif base == "str":
        ok = isinstance(value, str)
    elif base == "float":
        ok = isinstance(value, int | float)
    elif base == "int":
        ok = isinstance(value, int)
    else:  # path
        ok = isinstance(value, str | Path) and str(value).strip() != ""
    if ok:
        return None
    return f"must be {_KIND_NAMES[base]}, got {type(value).__name__} {value!r}"


def _coerce(key: str, value: Any) -> Any:
    base = _KINDS[key].rstrip("?")
    if base == "float":
        return float(value)
    if base == "path":
        return Path(value).expanduser()
    if base == "str":
        return value.strip()
    if base == "table":
        return {str(k): float(v) for k, v in value.items()}
    return value

