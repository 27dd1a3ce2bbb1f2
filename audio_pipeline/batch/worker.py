"""The worker side of a batch: one episode in, its EpisodeSummary out, never an exception.

A worker process keeps one transcriber per model for its whole life, so the model is
loaded once per worker, not per episode; local pool workers (``local``) and Dask workers
(``cluster``) run the same ``execute_episode``. Everything an episode needs besides
itself arrives as arguments (``WorkerSpec``); the only process-wide state is that
model cache, which is what makes a worker worth keeping.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audio_pipeline.batch.events import BatchEvent, EpisodeStarted, EventCallback, StageStarted
from audio_pipeline.cache import TranscriptCache
from audio_pipeline.metadata.config import PodcastConfig
from audio_pipeline.pipeline import failed_result, make_transcriber, process_episode, result_summary
from audio_pipeline.transcribe.protocol import Transcriber
from audio_pipeline.types import Audio, Episode, EpisodeResult, EpisodeSummary, Transcript

StageCallback = Callable[[str, str], None]  # (slug, stage), as pipeline.process_episode
# A per-episode function: the pipeline by default; tests inject others (pure logic, kill hooks).
EpisodeFn = Callable[[Episode, PodcastConfig, Path, StageCallback], EpisodeResult]


@dataclass(frozen=True)
class WorkerSpec:
    """What every worker needs besides the episode; picklable, sent once per worker."""

    use_cache: bool = True
    cache_dir: Path | None = None  # None: the worker's default_cache_dir()
    allow_download: bool = False
    torch_threads: int | None = None
    episode_fn: EpisodeFn | None = None  # None: pipeline.process_episode


# This process's loaded models, by model and engine settings: loading takes seconds.
_TRANSCRIBERS: dict[tuple[str, str, bool, str, bool], Transcriber] = {}
_LOAD_LOCK = threading.Lock()


class SerializedTranscriber:
    """A transcriber whose transcribe() runs one call at a time.

    Whisper installs its decoding caches on the model itself, so two threads of one
    worker (a Dask worker with --nthreads > 1) must not transcribe at once; the other
    stages still overlap.
    """

    def __init__(self, inner: Transcriber, lock: threading.Lock | None = None):
        self._inner = inner
        self._lock = lock or threading.Lock()
        self._twins: dict[str, SerializedTranscriber] = {}

    @property
    def model_name(self) -> str:
        return self._inner.model_name

    @property
    def language(self) -> str | None:
        return self._inner.language

    @property
    def beam_size(self) -> int | None:
        return self._inner.beam_size

    @property
    def multilingual(self) -> bool:
        return bool(getattr(self._inner, "multilingual", False))

    @property
    def engine(self) -> str:
        return str(getattr(self._inner, "engine", "openai-whisper"))

    @property
    def vad(self) -> bool:
        return bool(getattr(self._inner, "vad", False))

    @property
    def compute_type(self) -> str | None:
        return getattr(self._inner, "compute_type", None)

    @property
    def inner(self) -> Transcriber:
        return self._inner

    def transcribe(self, audio: Audio) -> Transcript:
        with self._lock:
            return self._inner.transcribe(audio)

    def for_language(self, language: str) -> Transcriber:
        """The inner engine set to ``language``, behind this same lock: a twin shares the
        loaded model, and one lock keeps any model of this worker to one caller."""
        make = getattr(self._inner, "for_language", None)
        if not callable(make):
            return self
        if language not in self._twins:
            with self._lock:
                twin = make(language)
            if twin is self._inner:
                return self
            self._twins[language] = SerializedTranscriber(twin, self._lock)
        return self._twins[language]

    def detect_language(self, audio: Audio) -> tuple[str, float] | None:
        detect = getattr(self._inner, "detect_language", None)
        if not callable(detect):
            return None
        with self._lock:
            result = detect(audio)
        return result  # type: ignore[no-any-return]

    def span_scorer(self, audio: Audio) -> Any:
        """The inner engine's scorer, sharing this transcriber's lock (one model)."""
        make = getattr(self._inner, "span_scorer", None)
        if not callable(make):
            return None
        with self._lock:
            scorer = make(audio)
        if hasattr(scorer, "lock"):
            scorer.lock = self._lock
        return scorer


def worker_transcriber(config: PodcastConfig, spec: WorkerSpec) -> Transcriber:
    """This process's transcriber for config.model, created on first use and kept."""
    key = (str(config.model), config.engine, config.vad, config.compute_type,
           spec.allow_download)
    with _LOAD_LOCK:
        if key not in _TRANSCRIBERS:
            if spec.torch_threads and config.engine == "openai-whisper":
                import torch

                torch.set_num_threads(spec.torch_threads)
            # threads per model: --jobs x threads stays within the cores (runner)
            _TRANSCRIBERS[key] = SerializedTranscriber(make_transcriber(
                config, allow_download=spec.allow_download, threads=spec.torch_threads))
        return _TRANSCRIBERS[key]


def execute_episode(episode: Episode, config: PodcastConfig, out_dir: Path, spec: WorkerSpec,
                    emit: EventCallback) -> EpisodeSummary:
    """Run one episode and return its report row; any exception becomes a failed row."""
    began = time.perf_counter()
    emit_quietly(emit, EpisodeStarted(slug=episode.slug, pid=os.getpid(),
                                  host=socket.gethostname()))

    def on_stage(slug: str, stage: str) -> None:
        emit_quietly(emit, StageStarted(slug=slug, stage=stage))

    result: EpisodeResult
    try:
        if spec.episode_fn is not None:
            result = spec.episode_fn(episode, config, out_dir, on_stage)
        else:
            cache = TranscriptCache(spec.cache_dir) if spec.use_cache else None
            result = process_episode(episode, config, out_dir,
                                     transcriber=worker_transcriber(config, spec),
                                     cache=cache, on_stage=on_stage)
    except Exception as exc:  # noqa: BLE001 - a bug in one episode must not stop the batch
        result = failed_result(episode, exc, time.perf_counter() - began)
    summary = result_summary(result)
    return dataclasses.replace(summary, wall_seconds=round(time.perf_counter() - began, 3))


def emit_quietly(emit: EventCallback, event: BatchEvent) -> None:
    """Progress is best effort: a lost event must never fail an episode."""
    try:
        emit(event)
    except Exception:  # noqa: BLE001
        pass
