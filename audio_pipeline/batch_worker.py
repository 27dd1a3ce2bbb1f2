"""The worker side of a batch, and the local process pool that drives it.

A worker keeps one transcriber per model for its whole life, so the model is loaded
once per worker, not per episode; Dask workers (batch_dask) run the same
`execute_episode`. Workers are started with spawn: torch and fork do not mix. A worker
that dies (killed, out of memory, a crash in native code) breaks the whole pool; the
episodes it was running are then retried one at a time on a fresh pool, so the one that
kills its worker again is recorded failed and the innocent ones finish.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.managers import SyncManager
from pathlib import Path
from typing import Any

from .batch import BatchEvent, EventCallback, WorkerSpec
from .types import Episode, EpisodeResult

_STATE: dict[str, Any] = {}  # this worker's spec and channels back to the parent
_TRANSCRIBERS: dict[tuple[str, bool], Any] = {}
_LOAD_LOCK = threading.Lock()

# After this many pool breaks in which no episode had even started, give up.
MAX_EMPTY_BREAKS = 2


# --------------------------------------------------------------------------- in the worker


class _Serialized:
    """A transcriber whose transcribe() runs one call at a time.

    Whisper installs its decoding caches on the model itself, so two threads of one
    worker (a Dask worker with --nthreads > 1) must not transcribe at once; the other
    stages still overlap.
    """

    def __init__(self, inner: Any):
        self._inner = inner
        self._lock = threading.Lock()

    def transcribe(self, audio: Any) -> Any:
        with self._lock:
            return self._inner.transcribe(audio)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def worker_transcriber(config: Any, spec: WorkerSpec) -> Any:
    """This process's transcriber for config.model, created on first use and kept."""
    key = (str(config.model), spec.allow_download)
    with _LOAD_LOCK:
        if key not in _TRANSCRIBERS:
            from .pipeline import make_transcriber

            if spec.torch_threads:
                import torch

                torch.set_num_threads(spec.torch_threads)
            _TRANSCRIBERS[key] = _Serialized(
                make_transcriber(config, allow_download=spec.allow_download))
        return _TRANSCRIBERS[key]


def pipeline_episode(episode: Episode, config: Any, out_dir: Path,
                     on_stage: Callable[[str, str], None]) -> EpisodeResult:
    """The default per-episode function: the real pipeline with this worker's model."""
    from .cache import TranscriptCache
    from .pipeline import process_episode

    spec: WorkerSpec = _STATE["spec"]
    cache = TranscriptCache(spec.cache_dir) if spec.use_cache else None
    return process_episode(episode, config, out_dir, transcriber=worker_transcriber(config, spec),
                           cache=cache, on_stage=on_stage)


def execute_episode(episode: Episode, config: Any, out_dir: Path, spec: WorkerSpec,
                    emit: EventCallback) -> dict[str, Any]:
    """Run one episode and return its report entry; any exception becomes a failed entry."""
    from .pipeline import failed_result, result_summary

    _STATE["spec"] = spec
    began = time.perf_counter()
    _quietly(emit, BatchEvent("start", episode.slug,
                              info={"pid": os.getpid(), "host": socket.gethostname()}))

    def on_stage(slug: str, stage: str) -> None:
        _quietly(emit, BatchEvent("stage", slug, stage))

    fn = spec.episode_fn or pipeline_episode
    try:
        result = fn(episode, config, out_dir, on_stage)
    except Exception as exc:  # noqa: BLE001 - a bug in one episode must not stop the batch
        result = failed_result(episode, exc, time.perf_counter() - began)
    doc = result_summary(result)
    doc["wall_seconds"] = round(time.perf_counter() - began, 3)
    return doc


def _quietly(emit: EventCallback, event: BatchEvent) -> None:
    """Progress is best effort: a lost event must never fail an episode."""
    try:
        emit(event)
    except Exception:  # noqa: BLE001
        pass


def _init_worker(spec: WorkerSpec, events: Any, started: Any, parent: int) -> None:
    _STATE.update(spec=spec, events=events, started=started)
    # The batch's pid, not getppid(): if the batch died while this process was starting,
    # getppid() already names the process that adopted us.
    exit_with_parent(parent)
    if spec.torch_threads:
        # Read by torch's OpenMP pool when torch is first imported in this process.
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = str(spec.torch_threads)


def exit_with_parent(parent: int) -> None:
    """Exit this helper process within a second of the batch process dying (kill -9).

    An idle pool worker (or the event manager) whose batch was killed would wait for work
    forever; a busy one would finish an episode nobody waits for. The staging folder it
    leaves is removed by the next run.
    """

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _run_in_worker(episode: Episode, config: Any, out_dir: Path) -> dict[str, Any]:
    # Recorded before any work, synchronously, so the parent knows which episodes were
    # running if this process dies.
    try:
        _STATE["started"][episode.slug] = os.getpid()
    except Exception:  # noqa: BLE001
        pass
    return execute_episode(episode, config, out_dir, _STATE["spec"],
                           lambda event: _STATE["events"].put(event))


# --------------------------------------------------------------------------- in the parent


def mp_context() -> Any:
    # spawn, not fork (torch's threads do not survive a fork) and not forkserver, whose
    # children inherit the environment of the moment the server started, not of now.
    return multiprocessing.get_context("spawn")


def run_local(episodes: list[Episode], config: Any, out_dir: Path, spec: WorkerSpec,
              jobs: int, emit: EventCallback) -> Iterator[dict[str, Any]]:
    """Run episodes on `jobs` worker processes; yield each report entry as it finishes."""
    ctx = mp_context()
    manager = SyncManager(ctx=ctx)
    manager.start(exit_with_parent, (os.getpid(),))
    with manager:
        events = manager.Queue()
        started = manager.dict()
        receiver = threading.Thread(target=_receive, args=(events, emit), daemon=True,
                                    name="batch-events")
        receiver.start()
        try:
            yield from _rounds(episodes, config, out_dir, spec, jobs, ctx, events, started,
                               emit)
        finally:
            try:
                events.put(None)
            except Exception:  # noqa: BLE001 - the manager may be gone after Ctrl-C
                pass
            receiver.join(timeout=5)


def _receive(events: Any, emit: EventCallback) -> None:
    while True:
        try:
            event = events.get()
        except (EOFError, OSError):
            return
        if event is None:
            return
        _quietly(emit, event)


def _rounds(episodes: list[Episode], config: Any, out_dir: Path, spec: WorkerSpec, jobs: int,
            ctx: Any, events: Any, started: Any,
            emit: EventCallback) -> Iterator[dict[str, Any]]:
    queue = list(episodes)  # never started, or innocent bystanders of a break
    suspects: list[Episode] = []  # were running when a worker died: retried one at a time
    empty_breaks = 0
    while queue or suspects:
        isolate = not queue
        batch, width = (suspects, 1) if isolate else (queue, min(jobs, len(queue)))
        queue, suspects = [], ([] if isolate else suspects)
        for episode in batch:
            started.pop(episode.slug, None)
        broken: list[Episode] = []
        yield from _one_pool(batch, config, out_dir, spec, width, ctx, events, started, broken)
        if not broken:
            continue
        ran = [e for e in broken if e.slug in started]
        idle = [e for e in broken if e.slug not in started]
        if not ran:
            empty_breaks += 1
            if empty_breaks >= MAX_EMPTY_BREAKS:
                for episode in broken:
                    yield _died(episode, "worker processes keep dying before they start an "
                                         "episode (out of memory while loading the model?)")
                return
        if isolate:
            for episode in ran:  # it ran alone, so it is the one that killed its worker
                yield _died(episode, "its worker process died while processing it, twice "
                                     "(killed, out of memory, or crashed)")
            suspects = idle + suspects
        else:
            for episode in ran:
                _quietly(emit, BatchEvent("retry", episode.slug, info={
                    "reason": "a worker process died while this episode was running"}))
            suspects += ran
            queue = idle


def _one_pool(batch: list[Episode], config: Any, out_dir: Path, spec: WorkerSpec, width: int,
              ctx: Any, events: Any, started: Any,
              broken: list[Episode]) -> Iterator[dict[str, Any]]:
    pool = ProcessPoolExecutor(max_workers=width, mp_context=ctx, initializer=_init_worker,
                               initargs=(spec, events, started, os.getpid()))
    try:
        futures = {}
        for episode in batch:
            try:
                futures[pool.submit(_run_in_worker, episode, config, out_dir)] = episode
            except BrokenProcessPool:  # a worker died while we were still submitting
                broken.append(episode)
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                episode = futures[future]
                try:
                    yield future.result()
                except BrokenProcessPool:
                    broken.append(episode)
                except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
                    from .pipeline import failed_result, result_summary

                    yield result_summary(failed_result(episode, exc))
    except BaseException:  # Ctrl-C, or the caller gave up: do not wait for running episodes
        _terminate(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now; what they were building is a staging folder the next run
    removes."""
    stop = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if stop is not None:
        stop()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()


def _died(episode: Episode, why: str) -> dict[str, Any]:
    from .errors import BatchError
    from .pipeline import failed_result, result_summary

    return result_summary(failed_result(episode, BatchError(why, episode.audio)))
