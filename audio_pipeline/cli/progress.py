"""Ways to show a batch's progress events: a live rich display, plain log lines, JSON lines.

Each reporter is a callable taking a `BatchEvent`; the caller (the CLI) chooses one and
hands it the stream or console to write to. ETA is measured in audio seconds: a batch
of long and short episodes finishes when the audio is done, not the episode count.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from audio_pipeline.batch.events import (
    BatchEvent,
    BatchFinished,
    BatchStarted,
    EpisodeDone,
    EpisodeFailed,
    EpisodeInvalid,
    EpisodeQueued,
    EpisodeRetry,
    EpisodeSkipped,
    EpisodeStarted,
    StageStarted,
)
from audio_pipeline.formatting import clock
from audio_pipeline.pipeline import stage_fraction


class Eta:
    """Audio seconds done per wall second since the first episode started."""

    def __init__(self) -> None:
        self.total = 0.0
        self.done = 0.0
        self.finished = 0
        self.queued = 0
        self.began: float | None = None
        self.durations: dict[str, float] = {}

    def update(self, event: BatchEvent) -> None:
        match event:
            case EpisodeQueued(slug=slug, duration=duration):
                self.durations[slug] = float(duration or 0.0)
                self.total += self.durations[slug]
                self.queued += 1
            case EpisodeStarted() if self.began is None:
                self.began = event.time
            case EpisodeDone(slug=slug) | EpisodeFailed(slug=slug) if slug in self.durations:
                self.done += self.durations.pop(slug)
                self.finished += 1

    def remaining(self, now: float | None = None) -> float | None:
        if self.began is None or self.done <= 0:
            return None
        elapsed = (now or time.time()) - self.began
        return (self.total - self.done) * elapsed / self.done


def format_line(event: BatchEvent, eta: Eta | None = None) -> str | None:
    """One human-readable log line for an event (None: not worth a line)."""
    stamp = time.strftime("%H:%M:%S", time.localtime(event.time))
    match event:
        case BatchStarted():
            where = f" on {event.scheduler}" if event.scheduler else \
                f" with {event.jobs} worker(s)"
            text = f"batch: {event.episodes} episode(s), {event.to_run} to run{where}"
        case EpisodeInvalid():
            text = f"[{event.slug}] invalid: {event.error}"
        case EpisodeSkipped():
            text = f"[{event.slug}] skipped: {event.reason}"
        case EpisodeStarted():
            text = f"[{event.slug}] started (pid {event.pid} on {event.host})"
        case StageStarted():
            text = f"[{event.slug}] {event.stage}"
        case EpisodeDone() | EpisodeFailed():
            if isinstance(event, EpisodeFailed):
                text = f"[{event.slug}] FAILED: {event.error}"
            elif event.seconds is not None:
                text = f"[{event.slug}] ok in {event.seconds:.1f} s"
            else:
                text = f"[{event.slug}] ok"
            if eta is not None and eta.queued:
                text += f" ({eta.finished}/{eta.queued}, ETA {clock(eta.remaining(event.time))})"
        case EpisodeRetry():
            text = f"[{event.slug}] retrying: {event.reason}"
        case BatchFinished():
            text = "batch done: " + ", ".join(f"{n} {k}" for k, n in event.counts.items()
                                              if n) + f" in {event.wall_seconds:.1f} s"
        case _:
            return None
    return f"{stamp} {text}"


class PlainLog:
    """Log lines for build servers and CI (stderr not a terminal)."""

    def __init__(self, write: Callable[[str], None]):
        self.write = write
        self.eta = Eta()

    def __call__(self, event: BatchEvent) -> None:
        self.eta.update(event)
        line = format_line(event, self.eta)
        if line is not None:
            self.write(line)


class JsonLog:
    """One JSON object per line: time, slug, event, stage and the event's details."""

    def __init__(self, write: Callable[[str], None]):
        self.write = write

    def __call__(self, event: BatchEvent) -> None:
        self.write(json.dumps(event.to_json(), ensure_ascii=False, default=str))


class RichProgress:
    """A live display: one bar for the batch (audio seconds, with ETA) and one per
    running episode showing its stage. Use as a context manager."""

    def __init__(self, console: Any):
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = console
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 TaskProgressColumn(), TimeElapsedColumn(),
                                 TimeRemainingColumn(), console=console)
        self.overall: Any = None
        self.tasks: dict[str, Any] = {}
        self.durations: dict[str, float] = {}
        self.credited: dict[str, float] = {}
        self.finished: set[str] = set()  # late events from the receiver thread are dropped

    def __enter__(self) -> RichProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _say(self, text: str) -> None:
        self.progress.console.print(text, highlight=False)

    def _credit(self, slug: str, fraction: float) -> None:
        gained = max(0.0, fraction - self.credited.get(slug, 0.0))
        self.credited[slug] = max(fraction, self.credited.get(slug, 0.0))
        if self.overall is not None and slug in self.durations:
            self.progress.advance(self.overall, gained * self.durations[slug])

    def __call__(self, event: BatchEvent) -> None:
        from rich.markup import escape

        match event:
            case BatchStarted(to_run=to_run) if to_run:
                self.overall = self.progress.add_task("batch", total=0.0)
            case EpisodeQueued(slug=slug, duration=duration):
                self.durations[slug] = max(float(duration or 0.0), 0.001)
                if self.overall is not None:
                    self.progress.update(self.overall, total=sum(self.durations.values()))
            case EpisodeInvalid(slug=slug, error=error):
                self._say(f"[red]invalid[/] {escape(slug)}: {escape(error)}")
            case EpisodeSkipped(slug=slug):
                self._say(f"[dim]up to date[/] {escape(slug)}")
            case EpisodeStarted(slug=slug) if slug not in self.tasks and slug not in self.finished:
                self.tasks[slug] = self.progress.add_task(escape(slug), total=1.0)
            case StageStarted(slug=slug, stage=stage) if slug in self.tasks:
                fraction = stage_fraction(stage)
                self.progress.update(self.tasks[slug], completed=fraction,
                                     description=f"{escape(slug)} · {stage}")
                self._credit(slug, fraction)
            case EpisodeDone(slug=slug) | EpisodeFailed(slug=slug):
                self.finished.add(slug)
                self._credit(slug, 1.0)
                task = self.tasks.pop(slug, None)
                if task is not None:
                    self.progress.remove_task(task)
                if isinstance(event, EpisodeDone):
                    self._say(f"[green]ok[/] {escape(slug)} ({event.seconds or 0:.1f} s)")
                else:
                    self._say(f"[red]failed[/] {escape(slug)}: {escape(str(event.error))}")
            case EpisodeRetry(slug=slug, reason=reason):
                task = self.tasks.pop(slug, None)
                if task is not None:
                    self.progress.remove_task(task)
                self._say(f"[yellow]retry[/] {escape(slug)}: {escape(reason)}")
            case BatchFinished() if self.overall is not None:
                self.progress.update(self.overall, description="batch done")
