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

from .batch import BatchEvent

# Rough share of an episode's wall time spent in each stage (transcription dominates);
# used only to move the bars and the ETA between stage events.
STAGE_WEIGHTS = {"decode": 0.04, "transcribe": 0.62, "align": 0.08, "loudness": 0.18,
                 "tags": 0.02, "publish": 0.06}


def stage_fraction(stage: str) -> float:
    """Share of an episode done when `stage` begins."""
    done = 0.0
    for name, weight in STAGE_WEIGHTS.items():
        if name == stage:
            return done
        done += weight
    return done


def clock(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


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
        if event.event == "queued":
            self.durations[event.slug] = float(event.info.get("duration") or 0.0)
            self.total += self.durations[event.slug]
            self.queued += 1
        elif event.event == "start" and self.began is None:
            self.began = event.time
        elif event.event in ("done", "failed") and event.slug in self.durations:
            self.done += self.durations.pop(event.slug)
            self.finished += 1

    def remaining(self, now: float | None = None) -> float | None:
        if self.began is None or self.done <= 0:
            return None
        elapsed = (now or time.time()) - self.began
        return (self.total - self.done) * elapsed / self.done


def format_line(event: BatchEvent, eta: Eta | None = None) -> str | None:
    """One human-readable log line for an event (None: not worth a line)."""
    stamp = time.strftime("%H:%M:%S", time.localtime(event.time))
    info, slug = event.info, f"[{event.slug}]"
    kind = event.event
    if kind == "batch_start":
        where = f" on {info['scheduler']}" if info.get("scheduler") else \
            f" with {info.get('jobs')} worker(s)"
        text = f"batch: {info.get('episodes')} episode(s), {info.get('to_run')} to run{where}"
    elif kind == "invalid":
        text = f"{slug} invalid: {info.get('error')}"
    elif kind == "skipped":
        text = f"{slug} skipped: {info.get('reason', '')}"
    elif kind == "start":
        text = f"{slug} started (pid {info.get('pid')} on {info.get('host')})"
    elif kind == "stage":
        text = f"{slug} {event.stage}"
    elif kind in ("done", "failed"):
        took = info.get("seconds")
        text = f"{slug} ok in {took:.1f} s" if kind == "done" and took is not None else \
            f"{slug} ok" if kind == "done" else f"{slug} FAILED: {info.get('error')}"
        if eta is not None and eta.queued:
            text += f" ({eta.finished}/{eta.queued}, ETA {clock(eta.remaining(event.time))})"
    elif kind == "retry":
        text = f"{slug} retrying: {info.get('reason')}"
    elif kind == "batch_end":
        counts = info.get("counts", {})
        text = "batch done: " + ", ".join(f"{n} {k}" for k, n in counts.items() if n) + \
            f" in {info.get('wall_seconds', 0):.1f} s"
    else:
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

        slug, info, kind = event.slug, event.info, event.event
        if kind == "batch_start" and info.get("to_run"):
            self.overall = self.progress.add_task("batch", total=0.0)
        elif kind == "queued":
            self.durations[slug] = max(float(info.get("duration") or 0.0), 0.001)
            if self.overall is not None:
                total = sum(self.durations.values())
                self.progress.update(self.overall, total=total)
        elif kind == "invalid":
            self._say(f"[red]invalid[/] {escape(slug)}: {escape(str(info.get('error')))}")
        elif kind == "skipped":
            self._say(f"[dim]up to date[/] {escape(slug)}")
        elif kind == "start" and slug not in self.tasks and slug not in self.finished:
            self.tasks[slug] = self.progress.add_task(escape(slug), total=1.0)
        elif kind == "stage" and slug in self.tasks:
            fraction = stage_fraction(event.stage)
            self.progress.update(self.tasks[slug], completed=fraction,
                                 description=f"{escape(slug)} · {event.stage}")
            self._credit(slug, fraction)
        elif kind in ("done", "failed"):
            self.finished.add(slug)
            self._credit(slug, 1.0)
            task = self.tasks.pop(slug, None)
            if task is not None:
                self.progress.remove_task(task)
            if kind == "done":
                self._say(f"[green]ok[/] {escape(slug)} ({info.get('seconds') or 0:.1f} s)")
            else:
                self._say(f"[red]failed[/] {escape(slug)}: {escape(str(info.get('error')))}")
        elif kind == "retry":
            task = self.tasks.pop(slug, None)
            if task is not None:
                self.progress.remove_task(task)
            self._say(f"[yellow]retry[/] {escape(slug)}: {escape(str(info.get('reason')))}")
        elif kind == "batch_end" and self.overall is not None:
            self.progress.update(self.overall, description="batch done")
