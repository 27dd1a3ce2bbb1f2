"""Many episodes: validate them all first, run each in a worker, resume, report.

The per-episode work is `pipeline.process_episode`; this module decides what runs
(validation, `--only`, up-to-date skips: ``plan``), where it runs (local worker
processes: ``local``, or a Dask cluster: ``cluster``) and writes `batch-report.json`
(atomically, after every episode, so a killed batch still leaves an honest report).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audio_pipeline import fsutil
from audio_pipeline.batch.events import (
    BatchEvent,
    BatchFinished,
    BatchStarted,
    EpisodeDone,
    EpisodeFailed,
    EpisodeInvalid,
    EpisodeQueued,
    EpisodeSkipped,
    EventCallback,
)
from audio_pipeline.batch.plan import (
    Planned,
    clean_stale,
    default_jobs,
    exclusive,
    invalid_summaries,
    not_run_summary,
    plan,
    recorded_summary,
    select,
    torch_threads_per_worker,
)
from audio_pipeline.batch.worker import EpisodeFn, WorkerSpec
from audio_pipeline.cache import default_cache_dir
from audio_pipeline.errors import BatchError
from audio_pipeline.metadata.config import PodcastConfig
from audio_pipeline.metadata.manifest import Manifest
from audio_pipeline.types import EpisodeSummary

REPORT_NAME = "batch-report.json"


def dropped_slugs(manifest: Manifest) -> list[str]:
    """Slugs of the episodes the manifest dropped as invalid: `--only` may name them."""
    return [row.slug for row in invalid_summaries(manifest.problems)]


# --------------------------------------------------------------------------- data


@dataclass
class BatchReport:
    """`episodes` holds one EpisodeSummary per episode: invalid ones first (they need the
    producer's attention and may share a slug), then manifest order."""

    out_dir: Path
    manifest: Path | None = None
    episodes: list[EpisodeSummary] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    jobs: int = 1
    scheduler: str | None = None
    dry_run: bool = False
    started: float = field(default_factory=time.time)
    finished: float | None = None
    audio_consistency: list[str] = field(default_factory=list)  # qc.batch_consistency

    @property
    def counts(self) -> dict[str, int]:
        counts = {"ok": 0, "skipped": 0, "failed": 0, "invalid": 0}
        for row in self.episodes:
            counts["invalid" if row.invalid else row.status] += 1
        return counts

    @property
    def ok(self) -> bool:
        """True when every episode is ok or up to date (exit code 0)."""
        return not self.pending and all(r.status in ("ok", "skipped") and not r.invalid
                                        for r in self.episodes)

    @property
    def wall_seconds(self) -> float:
        end = self.finished if self.finished is not None else time.time()
        return round(end - self.started, 3)

    def to_json(self) -> dict[str, Any]:
        def iso(t: float | None) -> str | None:
            if t is None:
                return None
            return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")

        rows = []
        for row in self.episodes:
            doc = row.to_json()
            doc.pop("fingerprint")  # result.json's business, not the report's
            rows.append(doc)
        return {"manifest": str(self.manifest) if self.manifest else None,
                "out_dir": str(self.out_dir), "started": iso(self.started),
                "finished": iso(self.finished), "wall_seconds": self.wall_seconds,
                "jobs": self.jobs, "scheduler": self.scheduler, "dry_run": self.dry_run,
                "counts": self.counts, "pending": list(self.pending),
                "audio_consistency": list(self.audio_consistency), "episodes": rows}


# --------------------------------------------------------------------------- running


def run_batch(
    manifest: Manifest,
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
    select(manifest.episodes, kwargs["only"], dropped_slugs(manifest))
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


def _run_batch(manifest: Manifest, out_dir: Path, *, jobs: int | None, force: bool, dry_run: bool,
               only: list[str], scheduler: str | None, cache_dir: Path | None,
               use_cache: bool, allow_download: bool, on_event: EventCallback | None,
               episode_fn: EpisodeFn | None) -> BatchReport:
    config = manifest.config
    lock = threading.Lock()

    def emit(event: BatchEvent) -> None:
        if on_event is not None:
            with lock:  # events arrive from the main thread and a receiver thread
                on_event(event)

    dropped = invalid_summaries(manifest.problems)
    chosen = select(manifest.episodes, only, [d.slug for d in dropped])
    planned, invalid = plan(chosen, config, out_dir, force=force)
    invalid = [d for d in dropped if not only or d.slug in only] + invalid
    todo = [p for p in planned if not p.up_to_date]
    if jobs is None:
        jobs = default_jobs(config.model)
    jobs = max(1, min(jobs, len(todo) or 1))
    report = BatchReport(out_dir=out_dir, manifest=manifest.path, jobs=jobs,
                         scheduler=scheduler, dry_run=dry_run,
                         audio_consistency=_consistency(planned))
    order = {e.slug: i for i, e in enumerate(manifest.episodes)}
    results: dict[str, EpisodeSummary] = {}

    def record(row: EpisodeSummary | None = None) -> None:
        if row is not None:
            results[row.slug] = row
        # Invalid entries first: they need the producer's attention and may share a slug.
        report.episodes = invalid + sorted(results.values(), key=lambda r: order[r.slug])
        report.pending = [p.episode.slug for p in todo if p.episode.slug not in results]
        if not dry_run:
            write_report(report)

    emit(BatchStarted(episodes=len(planned) + len(invalid), to_run=len(todo), jobs=jobs,
                      scheduler=scheduler, dry_run=dry_run))
    for row in invalid:
        emit(EpisodeInvalid(slug=row.slug, error=row.error or ""))
    for p in planned:
        if p.up_to_date:
            results[p.episode.slug] = recorded_summary(p, out_dir)
            emit(EpisodeSkipped(slug=p.episode.slug, reason="up to date"))
        else:
            emit(EpisodeQueued(slug=p.episode.slug, duration=round(p.duration, 3)))
    if dry_run:
        for p in todo:
            results[p.episode.slug] = not_run_summary(
                p.episode.slug, p.episode.audio, "skipped", reason="dry run",
                duration=round(p.duration, 3))
        todo = []
    record()

    if cache_dir is None and scheduler is None:
        cache_dir = default_cache_dir()  # decided here; Dask workers use their own default
    spec = WorkerSpec(
        use_cache=use_cache,
        cache_dir=cache_dir,
        allow_download=allow_download,
        torch_threads=None if scheduler else torch_threads_per_worker(jobs),
        episode_fn=episode_fn,
    )
    durations = {p.episode.slug: p.duration for p in todo}
    for row in _execute(todo, config, out_dir, spec, jobs, scheduler, emit):
        if not row.duration:
            row = dataclasses.replace(row, duration=round(durations.get(row.slug, 0.0), 3))
        row = dataclasses.replace(row, fingerprint=None)
        if row.status == "ok":
            emit(EpisodeDone(slug=row.slug, duration=row.duration, seconds=row.wall_seconds))
        else:
            emit(EpisodeFailed(slug=row.slug, duration=row.duration, error=row.error,
                               seconds=row.wall_seconds))
        record(row)
    report.finished = time.time()
    record()
    if not dry_run:
        from audio_pipeline.batch.pages import write_batch_pages

        write_batch_pages(manifest, out_dir, report.episodes)
    emit(BatchFinished(counts=report.counts, wall_seconds=report.wall_seconds))
    return report


def _consistency(planned: list[Planned]) -> list[str]:
    """Sample rate, channels and bit depth that differ across the batch's recordings."""
    from audio_pipeline.errors import PipelineError
    from audio_pipeline.qc import batch_consistency, probe_format

    formats = []
    for p in planned:
        try:
            if p.episode.audio is not None:
                formats.append((p.episode.slug, probe_format(p.episode.audio)))
        except PipelineError:  # validation has reported it already
            continue
    return batch_consistency(formats)


def _execute(todo: list[Planned], config: PodcastConfig, out_dir: Path, spec: WorkerSpec,
             jobs: int, scheduler: str | None,
             emit: EventCallback) -> Iterator[EpisodeSummary]:
    if not todo:
        return iter(())
    episodes = [p.episode for p in todo]
    if scheduler:
        from audio_pipeline.batch.cluster import run_on_dask

        return run_on_dask(episodes, config, out_dir, spec, scheduler, emit)
    from audio_pipeline.batch.local import run_local

    return run_local(episodes, config, out_dir, spec, jobs, emit)


def write_report(report: BatchReport) -> Path:
    return fsutil.write_text(report.out_dir / REPORT_NAME,
                             json.dumps(report.to_json(), indent=2, default=str) + "\n")
