"""What a batch tells the outside while it runs: a small closed set of event types.

Every event is a frozen dataclass with the wall-clock ``time`` it happened; ``to_json``
gives the JSON-lines form (``time``, ``slug``, ``event``, ``stage`` and the event's own
fields), ``to_wire``/``from_wire`` the plain dicts that cross Dask's msgpack comms.
Consumers dispatch on the type (``isinstance`` or ``match``), never on strings.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, ClassVar


def _now() -> float:
    return _time.time()


@dataclass(frozen=True)
class _Event:
    name: ClassVar[str] = ""
    time: float = field(default_factory=_now, kw_only=True)

    def to_json(self) -> dict[str, Any]:
        stamp = datetime.fromtimestamp(self.time, UTC).isoformat(timespec="milliseconds")
        own = {k: v for k, v in asdict(self).items() if k not in ("time", "slug", "stage")}
        doc: dict[str, Any] = {"time": stamp, "slug": getattr(self, "slug", "") or None,
                               "event": self.name, "stage": getattr(self, "stage", "") or None}
        doc.update(own)
        return doc

    def to_wire(self) -> dict[str, Any]:
        return {"event": self.name, **asdict(self)}


@dataclass(frozen=True)
class BatchStarted(_Event):
    name: ClassVar[str] = "batch_start"
    episodes: int = 0
    to_run: int = 0
    jobs: int = 1
    scheduler: str | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class EpisodeInvalid(_Event):
    """Failed validation: it never runs."""

    name: ClassVar[str] = "invalid"
    slug: str = ""
    error: str = ""


@dataclass(frozen=True)
class EpisodeSkipped(_Event):
    name: ClassVar[str] = "skipped"
    slug: str = ""
    reason: str = ""


@dataclass(frozen=True)
class EpisodeQueued(_Event):
    name: ClassVar[str] = "queued"
    slug: str = ""
    duration: float = 0.0  # seconds of audio, for the ETA


@dataclass(frozen=True)
class EpisodeStarted(_Event):
    name: ClassVar[str] = "start"
    slug: str = ""
    pid: int | None = None
    host: str | None = None


@dataclass(frozen=True)
class StageStarted(_Event):
    name: ClassVar[str] = "stage"
    slug: str = ""
    stage: str = ""


@dataclass(frozen=True)
class EpisodeDone(_Event):
    name: ClassVar[str] = "done"
    slug: str = ""
    duration: float = 0.0
    seconds: float | None = None  # the worker's wall time


@dataclass(frozen=True)
class EpisodeFailed(_Event):
    name: ClassVar[str] = "failed"
    slug: str = ""
    duration: float = 0.0
    error: str | None = None
    seconds: float | None = None


@dataclass(frozen=True)
class EpisodeRetry(_Event):
    """Its worker died while it ran: it runs again, alone."""

    name: ClassVar[str] = "retry"
    slug: str = ""
    reason: str = ""


@dataclass(frozen=True)
class BatchFinished(_Event):
    name: ClassVar[str] = "batch_end"
    counts: dict[str, int] = field(default_factory=dict)
    wall_seconds: float = 0.0


BatchEvent = (BatchStarted | EpisodeInvalid | EpisodeSkipped | EpisodeQueued | EpisodeStarted
              | StageStarted | EpisodeDone | EpisodeFailed | EpisodeRetry | BatchFinished)
EventCallback = Callable[[BatchEvent], None]

EVENT_TYPES: dict[str, type[BatchEvent]] = {
    cls.name: cls
    for cls in (BatchStarted, EpisodeInvalid, EpisodeSkipped, EpisodeQueued, EpisodeStarted,
                StageStarted, EpisodeDone, EpisodeFailed, EpisodeRetry, BatchFinished)
}


def from_wire(doc: dict[str, Any]) -> BatchEvent | None:
    """The event a ``to_wire`` dict stands for; None for anything else on the topic."""
    cls = EVENT_TYPES.get(str(doc.get("event")))
    if cls is None:
        return None
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in doc.items() if k in names})
