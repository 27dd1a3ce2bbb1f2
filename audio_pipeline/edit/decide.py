"""The edit decision list from an alignment's narration issues.

Only issues on the pickup list (``align.verdict.is_to_fix``: verified, confidence 0.5 or
more) become cuts: a ``repeated`` issue is the abandoned attempt, cut whole (``retake``);
a ``long_pause`` is shortened to ``pause`` seconds, its middle cut so the room tone on
both sides stays; ``inserted`` ad-libs are cut only when asked (an ad-lib may be wanted).
Where two cuts overlap, the retake wins over an ad-lib, and both over a pause.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from audio_pipeline.align.verdict import is_to_fix
from audio_pipeline.edit.types import Cut, CutSource, EditList, pause_cut
from audio_pipeline.types import NarrationIssue

_PRIORITY = {"retake": 0, "inserted": 1, "manual": 1, "long_pause": 2}


def _source(issue: NarrationIssue) -> CutSource:
    return CutSource(issue.type, issue.start, issue.end, issue.heard, issue.expected)


def candidate_cuts(issues: Iterable[NarrationIssue], *, pause: float = 1.0,
                   inserted: bool = False) -> list[Cut]:
    """One cut per issue worth cutting, before overlaps are resolved."""
    out: list[Cut] = []
    for issue in issues:
        if not is_to_fix(issue) or issue.end <= issue.start:
            continue
        if issue.type == "repeated":
            out.append(Cut(issue.start, issue.end, "retake", issue.confidence, _source(issue)))
        elif issue.type == "inserted" and inserted:
            out.append(Cut(issue.start, issue.end, "inserted", issue.confidence, _source(issue)))
        elif issue.type == "long_pause":
            span = pause_cut(issue.start, issue.end, pause)
            if span is not None:
                out.append(Cut(span[0], span[1], "long_pause", issue.confidence,
                               _source(issue), keep=pause))
    return out


def resolve_overlaps(cuts: Iterable[Cut]) -> tuple[Cut, ...]:
    """Keep the higher-priority cut where two overlap; the result is sorted by time."""
    kept: list[Cut] = []
    for cut in sorted(cuts, key=lambda c: (_PRIORITY[c.reason], -c.length, c.start)):
        if all(cut.end <= k.start or cut.start >= k.end for k in kept):
            kept.append(cut)
    return tuple(sorted(kept, key=lambda c: c.start))


def plan_edits(issues: Iterable[NarrationIssue], duration: float, *, pause: float = 1.0,
               inserted: bool = False, recording: str = "",
               meta: dict[str, Any] | None = None,
               info: dict[str, Any] | None = None) -> EditList:
    """The edit list of one recording of ``duration`` seconds."""
    cuts = [c for c in resolve_overlaps(candidate_cuts(issues, pause=pause, inserted=inserted))
            if c.start < duration]
    cuts = [Cut(c.start, min(c.end, duration), c.reason, c.confidence, c.issue, c.keep)
            for c in cuts]
    return EditList(tuple(c for c in cuts if c.end > c.start), duration, recording, meta, info)
