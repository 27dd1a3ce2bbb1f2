"""Run a batch's episodes on a Dask distributed cluster (the optional `dask` extra).

Each episode is one task running the same `execute_episode` as a local worker, so
results and errors come back exactly as locally. A worker process keeps its model
loaded between tasks (``worker``'s per-process transcriber cache). Paths are made
absolute: the workers must see the audio, the article texts and the output folder at
the same paths (shared storage). When a worker dies mid-episode the scheduler gives the
task to another worker (up to `distributed.scheduler.allowed-failures` times); tasks are
also submitted with `retries=` so an exception escaping the task is retried elsewhere.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from audio_pipeline.batch.events import BatchEvent, EventCallback, from_wire
from audio_pipeline.batch.worker import WorkerSpec, execute_episode
from audio_pipeline.errors import BatchError
from audio_pipeline.metadata.config import PodcastConfig
from audio_pipeline.pipeline import failed_result, result_summary
from audio_pipeline.types import Episode, EpisodeSummary

EVENT_TOPIC = "audio-pipeline-batch"
RETRIES = 2
CONNECT_TIMEOUT = "30s"
TORCH_THREADS_ENV = "AUDIO_PIPELINE_TORCH_THREADS"


def dask_task(episode: Episode, config: PodcastConfig, out_dir: Path,
              spec: WorkerSpec) -> EpisodeSummary:
    """One episode on a Dask worker; progress goes to the client as worker events."""
    from distributed import get_worker

    worker = get_worker()
    if spec.torch_threads is None and spec.episode_fn is None:
        spec = dataclasses.replace(spec, torch_threads=_torch_threads(worker))

    def emit(event: BatchEvent) -> None:
        # Plain dicts: worker events travel through the scheduler's msgpack comms.
        worker.log_event(EVENT_TOPIC, event.to_wire())

    return execute_episode(episode, config, out_dir, spec, emit)


def _torch_threads(worker: Any) -> int:
    """$AUDIO_PIPELINE_TORCH_THREADS, else the machine's cores shared by the worker's threads."""
    value = os.environ.get(TORCH_THREADS_ENV, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    nthreads = getattr(getattr(worker, "state", None), "nthreads", None) or 1
    return max(1, (os.cpu_count() or 1) // int(nthreads))


def absolute(episode: Episode) -> Episode:
    """The episode with every path absolute, as a worker elsewhere must see it."""
    meta = episode.meta
    if meta.cover is not None:
        meta = dataclasses.replace(meta, cover=Path(meta.cover).resolve())
    return dataclasses.replace(
        episode, audio=Path(episode.audio).resolve() if episode.audio is not None else None,
        meta=meta,
        source=Path(episode.source).resolve() if episode.source is not None else None)


def run_on_dask(episodes: list[Episode], config: PodcastConfig, out_dir: Path,
                spec: WorkerSpec, address: str, emit: EventCallback,
                retries: int = RETRIES) -> Iterator[EpisodeSummary]:
    """Submit every episode to the scheduler at `address`; yield entries as they finish."""
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise BatchError("--scheduler needs the optional Dask support: "
                         "pip install 'audio-pipeline[dask]'") from exc
    if config.cover is not None:
        config = dataclasses.replace(config, cover=Path(config.cover).resolve())
    out_dir = Path(out_dir).resolve()
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise BatchError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    try:
        def on_event(event: tuple[float, Any]) -> None:
            msg = event[1]
            decoded = from_wire(msg) if isinstance(msg, dict) else None
            if decoded is not None:
                emit(decoded)

        client.subscribe_topic(EVENT_TOPIC, on_event)
        run = uuid.uuid4().hex[:8]  # keys unique per run: never reuse an earlier result
        futures = {}
        for episode in episodes:
            future = client.submit(dask_task, absolute(episode), config, out_dir, spec,
                                   key=f"audio-pipeline-{episode.slug}-{run}",
                                   retries=retries, pure=False)
            futures[future] = episode
        for future in as_completed(futures, loop=client.loop):
            episode = futures[future]
            try:
                row = future.result()
            except Exception as exc:  # noqa: BLE001 - KilledWorker, or retries exhausted
                row = result_summary(failed_result(episode, exc))
            yield dataclasses.replace(row, slug=episode.slug)
    finally:
        try:
            client.unsubscribe_topic(EVENT_TOPIC)
        except Exception:  # noqa: BLE001
            pass
        client.close()
