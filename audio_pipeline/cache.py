"""Transcript cache: Whisper's output keyed by the audio's content and the model options.

Changing an episode's metadata or its source text re-aligns and re-tags without
re-transcribing; changing the audio, the model or the decoding options does not hit.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from audio_pipeline import fsutil
from audio_pipeline.errors import MediaError
from audio_pipeline.types import Segment, Transcript, Word

CACHE_VERSION = 5  # 3: with TAIL_PAD s of silence after it; 4: long ones in pieces;
# 5: stretches Whisper dropped as silence decoded again (transcribe.rescue)


CACHE_ENV = "AUDIO_PIPELINE_CACHE"


def default_cache_dir() -> Path:
    """The one cache root: ``$AUDIO_PIPELINE_CACHE``, else ``$XDG_CACHE_HOME/audio-pipeline``
    (``~/.cache/audio-pipeline``). Converted models live in ``models/`` below it and
    transcripts in ``transcripts/``, so one variable moves both (e.g. to shared storage)."""
    root = os.environ.get(CACHE_ENV, "").strip()
    if root:
        return Path(root).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "audio-pipeline"


def file_digest(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while block := handle.read(chunk):
                digest.update(block)
    except OSError as exc:
        raise MediaError(f"cannot read: {exc.strerror or exc}", path) from exc
    return digest.hexdigest()


def transcript_key(audio_digest: str, model_id: str, options: dict[str, Any]) -> str:
    blob = json.dumps(
        {"v": CACHE_VERSION, "audio": audio_digest, "model": model_id, "options": options},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def transcript_to_dict(transcript: Transcript) -> dict[str, Any]:
    return {
        "language": transcript.language,
        "model": transcript.model,
        "duration": transcript.duration,
        "segments": [
            {
                "id": s.id,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "words": [[w.text, w.start, w.end, w.probability] for w in s.words],
            }
            for s in transcript.segments
        ],
    }


def transcript_from_dict(data: dict[str, Any]) -> Transcript:
    return Transcript(
        segments=tuple(
            Segment(
                id=int(s["id"]),
                start=float(s["start"]),
                end=float(s["end"]),
                text=str(s["text"]),
                words=tuple(
                    Word(str(t), float(a), float(b), float(p)) for t, a, b, p in s["words"]
                ),
            )
            for s in data["segments"]
        ),
        language=str(data["language"]),
        model=str(data["model"]),
        duration=float(data.get("duration", 0.0)),
    )


class TranscriptCache:
    def __init__(self, root: Path | None = None):
        self.root = (root or default_cache_dir()) / "transcripts"

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> Transcript | None:
        path = self._path(key)
        try:
            return transcript_from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            # A missing or damaged entry is a miss, never an error: it is only a cache.
            return None

    def put(self, key: str, transcript: Transcript) -> None:
        try:
            fsutil.write_text(self._path(key), json.dumps(transcript_to_dict(transcript)))
        except Exception:  # noqa: BLE001 - a read-only cache must not fail the episode
            pass
