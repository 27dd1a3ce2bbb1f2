"""The edit decision list: cuts, and `<slug>.edits.json` written and read back.

Kept out of ``types.py`` (at its size limit); these values flow from ``edit`` to
``publish`` and the ``render`` command. A cut removes ``[start, end)`` of the recording
(seconds of the recording as decoded). A long pause is *shortened*, not removed: its
cut is the middle of the silence, ``keep`` seconds of it stay, and changing ``keep`` in a
hand-edited file re-centres the cut on the pause.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from audio_pipeline.errors import EditError

CutReason = Literal["retake", "long_pause", "inserted", "manual"]
REASONS: tuple[str, ...] = ("retake", "long_pause", "inserted", "manual")
EDITS_VERSION = 1


@dataclass(frozen=True)
class CutSource:
    """The narration issue a cut comes from (None for a cut added by hand)."""

    type: str
    start: float
    end: float
    heard: str = ""
    expected: str = ""


@dataclass(frozen=True)
class Cut:
    start: float
    end: float
    reason: CutReason
    confidence: float = 1.0
    issue: CutSource | None = None
    keep: float | None = None  # long_pause: seconds of the pause left in

    @property
    def length(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class EditList:
    cuts: tuple[Cut, ...]  # sorted, never overlapping
    duration: float  # of the recording, seconds
    recording: str = ""  # the recording's path, so `render` can decode it again
    meta: dict[str, Any] | None = None  # the episode's EpisodeMeta (asdict), for the tags
    info: dict[str, Any] | None = None  # the transcript's language and model, for the JSON

    @property
    def removed(self) -> float:
        return sum(c.length for c in self.cuts)

    def to_json(self) -> dict[str, Any]:
        def cut(c: Cut) -> dict[str, Any]:
            row: dict[str, Any] = {"start": round(c.start, 3), "end": round(c.end, 3),
                                   "reason": c.reason, "confidence": round(c.confidence, 3)}
            if c.keep is not None:
                row["keep"] = round(c.keep, 3)
            if c.issue is not None:
                row["issue"] = {"type": c.issue.type, "start": round(c.issue.start, 3),
                                "end": round(c.issue.end, 3), "heard": c.issue.heard,
                                "expected": c.issue.expected}
            return row

        return {"version": EDITS_VERSION, "recording": self.recording,
                "duration": round(self.duration, 3), "removed": round(self.removed, 3),
                "cuts": [cut(c) for c in self.cuts], "episode": self.meta or {},
                "transcript": self.info or {}}


def pause_cut(pause_start: float, pause_end: float, keep: float) -> tuple[float, float] | None:
    """The middle of a pause, leaving ``keep`` seconds; None when it is already short."""
    if pause_end - pause_start <= keep:
        return None
    half = keep / 2.0
    return pause_start + half, pause_end - half


def check_cuts(cuts: list[Cut], duration: float, path: Path | None = None) -> tuple[Cut, ...]:
    """Sorted cuts, or an EditError naming the first cut that is out of range or overlaps."""
    ordered = sorted(cuts, key=lambda c: c.start)
    for n, c in enumerate(ordered, start=1):
        if not (0.0 <= c.start < c.end <= duration + 1e-3):
            raise EditError(f"cut at {c.start:.3f}-{c.end:.3f} s is outside the audio "
                            f"(0-{duration:.3f} s) or empty", path)
        if n > 1 and c.start < ordered[n - 2].end - 1e-6:
            prev = ordered[n - 2]
            raise EditError(f"cut at {c.start:.3f}-{c.end:.3f} s overlaps the cut at "
                            f"{prev.start:.3f}-{prev.end:.3f} s", path)
    return tuple(ordered)


def _number(row: dict[str, Any], key: str, where: str, path: Path | None) -> float | None:
    """The number under ``key``; None when absent; EditError for anything else."""
    if key not in row:
        return None
    value = row[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise EditError(f"{where}: {key!r} must be a number, got {value!r}", path)
    return float(value)


def _cut_from(row: Any, n: int, path: Path | None) -> Cut:
    where = f"cut {n}"
    if not isinstance(row, dict):
        raise EditError(f"{where}: must be a table with start, end and reason", path)
    for key in ("start", "end", "reason"):
        if key not in row:
            raise EditError(f"{where}: missing {key!r}", path)
    start = _number(row, "start", where, path)
    end = _number(row, "end", where, path)
    assert start is not None and end is not None
    reason = row["reason"]
    if reason not in REASONS:
        raise EditError(f"{where}: reason {reason!r} is not one of {', '.join(REASONS)}", path)
    confidence = _number(row, "confidence", where, path)
    keep = _number(row, "keep", where, path)
    if keep is not None and keep < 0:
        raise EditError(f"{where}: 'keep' must not be negative", path)
    issue = None
    if isinstance(row.get("issue"), dict):
        doc = row["issue"]
        i_start = _number(doc, "start", f"{where} issue", path)
        i_end = _number(doc, "end", f"{where} issue", path)
        if i_start is None or i_end is None:
            raise EditError(f"{where}: the issue needs start and end", path)
        issue = CutSource(str(doc.get("type", "")), i_start, i_end,
                          str(doc.get("heard", "")), str(doc.get("expected", "")))
    elif row.get("issue") is not None:
        raise EditError(f"{where}: 'issue' must be a table", path)
    cut = Cut(start, end, reason, 1.0 if confidence is None else confidence, issue, keep)
    if reason == "long_pause" and keep is not None and issue is not None:
        # a changed "keep" re-centres the cut on the pause; unchanged, start/end rule
        if abs((issue.end - issue.start) - cut.length - keep) > 1e-3:
            span = pause_cut(issue.start, issue.end, keep)
            if span is None:
                raise EditError(f"{where}: keep {keep:g} s is not shorter than the pause "
                                f"({issue.end - issue.start:.3f} s): remove the cut instead", path)
            cut = replace(cut, start=span[0], end=span[1])
    return cut


def read_edits(path: Path) -> EditList:
    """Read `<slug>.edits.json` (hand-changed or not): one-line EditError on any problem."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EditError("edit list not found", path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EditError(f"cannot read: {exc}", path) from None
    except json.JSONDecodeError as exc:
        raise EditError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                        path) from None
    return edits_from_json(doc, path)


def edits_from_json(doc: Any, path: Path | None = None) -> EditList:
    if not isinstance(doc, dict):
        raise EditError("the edit list must be a JSON object", path)
    duration = _number(doc, "duration", "edit list", path)
    if duration is None or duration <= 0:
        raise EditError("edit list: 'duration' (of the recording, s) must be positive", path)
    rows = doc.get("cuts", [])
    if not isinstance(rows, list):
        raise EditError("edit list: 'cuts' must be a list", path)
    cuts = check_cuts([_cut_from(r, n, path) for n, r in enumerate(rows, start=1)], duration, path)
    meta = doc.get("episode") if isinstance(doc.get("episode"), dict) else None
    info = doc.get("transcript") if isinstance(doc.get("transcript"), dict) else None
    return EditList(cuts, duration, str(doc.get("recording") or ""), meta, info)
