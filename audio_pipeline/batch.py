"""Many episodes: validate them all first, run each in a worker, resume, report.

The per-episode work is `pipeline.process_episode`; this module decides what runs
(validation, `--only`, up-to-date skips), where it runs (local worker processes in
`batch_worker`, or a Dask cluster in `batch_dask`) and writes `batch-report.json`
(atomically, after every episode, so a killed batch still leaves an honest report).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import fsutil
from .batch_plan import (
    Planned,
    base_entry,
    clean_stale,
    default_jobs,
    exclusive,
    manifest_problem_entries,
    plan,
    recorded_summary,
    select,
    torch_threads_per_worker,
)
from .errors import BatchError
from .types import Episode, EpisodeResult

REPORT_NAME = "batch-report.json"
StageCallback = Callable[[str, str], None]  # (slug, stage), as pipeline.process_episode
# A per-episode function: the pipeline by default; tests inject others (pure logic, kill hooks).
EpisodeFn = Callable[[Episode, Any, Path, StageCallback], EpisodeResult]


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class BatchEvent:
    """One progress event: batch_start, invalid, skipped, queued, start, stage, done,
    failed, retry, batch_end. `info` holds event-specific JSON-able values."""

    event: str
    slug: str = ""
    stage: str = ""
    info: dict[str, Any] = field(default_factory=dict)
    time: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        stamp = datetime.fromtimestamp(self.time, UTC).isoformat(timespec="milliseconds")
        doc: dict[str, Any] = {"time": stamp, "slug": self.slug or None, "event": self.event,
                               "stage": self.stage or None}
        doc.update(self.info)
        return doc


EventCallback = Callable[[BatchEvent], None]


@dataclass(frozen=True)
class WorkerSpec:
    """What every worker needs besides the episode; picklable, sent once per worker."""

    use_cache: bool = True
    cache_dir: Path | None = None  # None: the worker's default_cache_dir()
    allow_download: bool = False
    torch_threads: int | None = None
    episode_fn: EpisodeFn | None = None  # None: pipeline.process_episode


@dataclass
class BatchReport:
    """`episodes` holds `pipeline.result_summary` documents, plus `invalid` (true for an
    episode that failed validation and never ran), `reason` ("up to date", "dry run") and
    `wall_seconds`; invalid entries first, then manifest order."""

    out_dir: Path
    manifest: Path | None = None
    episodes: list[dict[str, Any]] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    jobs: int = 1
    scheduler: str | None = None
    dry_run: bool = False
    started: float = field(default_factory=time.time)
    finished: float | None = None

    @property
    def counts(self) -> dict[str, int]:
        counts = {"ok": 0, "skipped": 0, "failed": 0, "invalid": 0}
        for doc in self.episodes:
            counts["invalid" if doc.get("invalid") else doc["status"]] += 1
        return counts

    @property
    def ok(self) -> bool:
        """True when every episode is ok or up to date (exit code 0)."""
        return not self.pending and all(d["status"] in ("ok", "skipped") and not d.get("invalid")
                                        for d in self.episodes)

    def to_json(self) -> dict[str, Any]:
        def iso(t: float | None) -> str | None:
            if t is None:
                return None
            return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")

        end = self.finished if self.finished is not None else time.time()
        return {"manifest": str(self.manifest) if self.manifest else None,
                "out_dir": str(self.out_dir), "started": iso(self.started),
                "finished": iso(self.finished), "wall_seconds": round(end - self.started, 3),
                "jobs": self.jobs, "scheduler": self.scheduler, "dry_run": self.dry_run,
                "counts": self.counts, "pending": list(self.pending),
                "episodes": self.episodes}


# --------------------------------------------------------------------------- running


def run_batch(
    manifest: Any,
    out_dir: Path,
    *,
    jobs: int | None = None,
    force: bool = False,
    dry_run: bool = False,
    only: Iterable[str] = (),
    scheduler: str | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    allow_download: bool = False,
    on_event: EventCallback | None = None,
    episode_fn: EpisodeFn | None = None,
) -> BatchReport:
    """Validate every selected episode, then process the valid ones that are not current.

    `manifest` is a `manifest.Manifest` (its dropped episodes' problems are reported as
    invalid). Each episode ends ok, skipped (up to date) or failed; one episode's failure,
    a bug in it, or its worker process dying never stops the others. The report is
    written to `<out_dir>/batch-report.json` unless `dry_run`.
    """
    kwargs: dict[str, Any] = dict(
        jobs=jobs, force=force, dry_run=dry_run, only=list(only), scheduler=scheduler,
        cache_dir=cache_dir, use_cache=use_cache, allow_download=allow_download,
        on_event=on_event, episode_fn=episode_fn)
    out_dir = Path(out_dir)
    select(manifest.episodes, kwargs["only"],
           [d["slug"] for d in manifest_problem_entries(manifest.problems)])
    if dry_run:
        return _run_batch(manifest, out_dir, **kwargs)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file in the way, read-only: one line, not a traceback
        raise BatchError(f"cannot create the output folder: {exc.strerror or exc}",
                         out_dir) from exc
    with exclusive(out_dir):
        clean_stale(out_dir)  # before the up-to-date checks: it may restore a folder
        return _run_batch(manifest, out_dir, **kwargs)


def _run_batch(manifest: Any, out_dir: Path, *, jobs: int | None, force: bool, dry_run: bool,
               only: list[str], scheduler: str | None, cache_dir: Path | None,
               use_cache: bool, allow_download: bool, on_event: EventCallback | None,
               episode_fn: EpisodeFn | None) -> BatchReport:
    config = manifest.config
    lock = threading.Lock()

    def emit(event: BatchEvent) -> None:
        if on_event is not None:
            with lock:  # events arrive from the main thread and a receiver thread
                on_event(event)

    dropped = manifest_problem_entries(manifest.problems)
    chosen = select(manifest.episodes, only, [d["slug"] for d in dropped])
    planned, invalid = plan(chosen, config, out_dir, force=force)
    invalid = [d for d in dropped if not only or d["slug"] in only] + invalid
    todo = [p for p in planned if not p.up_to_date]
    if jobs is None:
        jobs = default_jobs(config.model)
    jobs = max(1, min(jobs, len(todo) or 1))
    report = BatchReport(out_dir=out_dir, manifest=getattr(manifest, "path", None), jobs=jobs,
                         scheduler=scheduler, dry_run=dry_run)
    order = {e.slug: i for i, e in enumerate(manifest.episodes)}
    results: dict[str, dict[str, Any]] = {}

    def record(doc: dict[str, Any] | None = None) -> None:
        if doc is not None:
            results[doc["slug"]] = doc
        # Invalid entries first: they need the producer's attention and may share a slug.
        report.episodes = invalid + sorted(results.values(), key=lambda d: order[d["slug"]])
        report.pending = [p.episode.slug for p in todo if p.episode.slug not in results]
        if not dry_run:
            write_report(report)

    emit(BatchEvent("batch_start", info={"episodes": len(planned) + len(invalid),
                                         "to_run": len(todo), "jobs": jobs,
                                         "scheduler": scheduler, "dry_run": dry_run}))
    for entry in invalid:
        emit(BatchEvent("invalid", entry["slug"], info={"error": entry["error"]}))
    for p in planned:
        if p.up_to_date:
            results[p.episode.slug] = recorded_summary(p, out_dir)
            emit(BatchEvent("skipped", p.episode.slug, info={"reason": "up to date"}))
        else:
            emit(BatchEvent("queued", p.episode.slug, info={"duration": round(p.duration, 3)}))
    if dry_run:
        for p in todo:
            results[p.episode.slug] = {**base_entry(p.episode.slug, p.episode.audio, "skipped"),
                                       "reason": "dry run", "duration": round(p.duration, 3)}
        todo = []
    record()

    if cache_dir is None and scheduler is None:
        from .cache import default_cache_dir

        cache_dir = default_cache_dir()  # decided here; Dask workers use their own default
    spec = WorkerSpec(
        use_cache=use_cache,
        cache_dir=cache_dir,
        allow_download=allow_download,
        torch_threads=None if scheduler else torch_threads_per_worker(jobs),
        episode_fn=episode_fn,
    )
    durations = {p.episode.slug: p.duration for p in todo}
    for doc in _execute(todo, config, out_dir, spec, jobs, scheduler, emit):
        if not doc.get("duration"):
            doc["duration"] = round(durations.get(doc["slug"], 0.0), 3)
        doc.pop("fingerprint", None)
        emit(BatchEvent("done" if doc["status"] == "ok" else "failed", doc["slug"],
                        info={"duration": doc["duration"], "error": doc.get("error"),
                              "seconds": doc.get("wall_seconds")}))
        record(doc)
    report.finished = time.time()
    record()
    emit(BatchEvent("batch_end", info={"counts": report.counts,
                                       "wall_seconds": report.to_json()["wall_seconds"]}))
    return report


def _execute(todo: list[Planned], config: Any, out_dir: Path, spec: WorkerSpec, jobs: int,
             scheduler: str | None, emit: EventCallback) -> Iterator[dict[str, Any]]:
    if not todo:
        return iter(())
    episodes = [p.episode for p in todo]
    if scheduler:
        from .batch_dask import run_on_dask

        return run_on_dask(episodes, config, out_dir, spec, scheduler, emit)
    from .batch_worker import run_local

    return run_local(episodes, config, out_dir, spec, jobs, emit)


def write_report(report: BatchReport) -> Path:
    return fsutil.write_text(report.out_dir / REPORT_NAME,
                             json.dumps(report.to_json(), indent=2, default=str) + "\n")
