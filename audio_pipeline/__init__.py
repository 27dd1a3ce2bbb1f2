"""audio-pipeline: a narrator's raw recording of an article -> finished podcast episode assets.

Public API: ``process_episode`` (one episode through every stage), ``run_batch`` (a manifest,
in parallel and resumable), ``load_config``, ``load_manifest``, ``build_episode`` and the data
types in ``audio_pipeline.types``; each stage is a subpackage (metadata, media,
loudness, transcribe, align, publish, batch, cli) whose ``__init__`` says what it takes
and gives. Imports are lazy so that ``import audio_pipeline`` (and the
CLI's ``--help``) does not load torch or whisper.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# public name -> the module that defines it (imported on first use)
_EXPORTS = {
    "process_episode": "pipeline",
    "run_batch": "batch.runner",
    "BatchReport": "batch.runner",
    "load_config": "metadata.config",
    "PodcastConfig": "metadata.config",
    "load_manifest": "metadata.manifest",
    "build_episode": "metadata.manifest",
    "Manifest": "metadata.manifest",
    "ManifestProblem": "metadata.manifest",
    "PipelineError": "errors",
    "Episode": "types",
    "EpisodeMeta": "types",
    "EpisodeResult": "types",
    "EpisodeSummary": "types",
    "Audio": "types",
    "Transcript": "types",
    "SourceText": "types",
    "Alignment": "types",
    "NarrationIssue": "types",
    "LoudnessReport": "types",
    "Transcriber": "transcribe.protocol",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'audio_pipeline' has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)
