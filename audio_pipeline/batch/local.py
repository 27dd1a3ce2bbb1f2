"""A batch on this machine: a pool of worker processes, each running ``worker.execute_episode``.

Workers are started with spawn: torch and fork do not mix. A worker
that dies (killed, out of memory, a crash in native code) breaks the whole pool; the
episodes it was running are then retried one at a time on a fresh pool, so the one that
kills its worker again is recorded failed and the innocent ones finish.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.managers import SyncManager
from pathlib import Path
from typing import Any

from audio_pipeline.batch.events import EpisodeRetry, EventCallback
from audio_pipeline.batch.worker import WorkerSpec, emit_quietly, execute_episode
from audio_pipeline.errors import BatchError
from audio_pipeline.metadata.config import PodcastConfig
from audio_pipeline.pipeline import failed_result, result_summary
from audio_pipeline.types import Episode, EpisodeSummary

# After this many pool breaks in which no episode had even started, give up.
MAX_EMPTY_BREAKS = 2


def _init_worker(spec: WorkerSpec, parent: int) -> None:
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


def _run_in_worker(episode: Episode, config: PodcastConfig, out_dir: Path, spec: WorkerSpec,
                   events: Any, started: Any) -> EpisodeSummary:
    """One episode in a pool worker; ``events`` and ``started`` are the parent's manager
    proxies (a queue of events, a dict of slug -> pid)."""
    # Recorded before any work, synchronously, so the parent knows which episodes were
    # running if this process dies.
    try:
        started[episode.slug] = os.getpid()
    except Exception:  # noqa: BLE001
        pass
    return execute_episode(episode, config, out_dir, spec, events.put)


# --------------------------------------------------------------------------- in the parent


def mp_context() -> Any:
    # spawn, not fork (torch's threads do not survive a fork) and not forkserver, whose
    # children inherit the environment of the moment the server started, not of now.
    return multiprocessing.get_context("spawn")


def run_local(episodes: list[Episode], config: PodcastConfig, out_dir: Path, spec: WorkerSpec,
              jobs: int, emit: EventCallback) -> Iterator[EpisodeSummary]:
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
        emit_quietly(emit, event)


def _rounds(episodes: list[Episode], config: PodcastConfig, out_dir: Path, spec: WorkerSpec,
            jobs: int, ctx: Any, events: Any, started: Any,
            emit: EventCallback) -> Iterator[EpisodeSummary]:
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
                emit_quietly(emit, EpisodeRetry(
                    slug=episode.slug,
                    reason="a worker process died while this episode was running"))
            suspects += ran
            queue = idle


def _one_pool(batch: list[Episode], config: PodcastConfig, out_dir: Path, spec: WorkerSpec,
              width: int, ctx: Any, events: Any, started: Any,
              broken: list[Episode]) -> Iterator[EpisodeSummary]:
    pool = ProcessPoolExecutor(max_workers=width, mp_context=ctx, initializer=_init_worker,
                               initargs=(spec, os.getpid()))
    try:
        futures = {}
        for episode in batch:
            try:
                futures[pool.submit(_run_in_worker, episode, config, out_dir, spec, events,
                                    started)] = episode
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


def _died(episode: Episode, why: str) -> EpisodeSummary:
    return result_summary(failed_result(episode, BatchError(why, episode.audio)))
