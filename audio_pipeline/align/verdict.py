"""The one "to fix" rule and the one-line verdict, used by every report and the CLI.

An issue is *to fix* when its type is one an editor or narrator acts on and its
confidence is at least ``CONFIDENT``; intro, outro and less certain findings are notes.
"""

from __future__ import annotations

from collections import Counter

from audio_pipeline.types import Alignment, NarrationIssue

TO_FIX = ("skipped", "repeated", "inserted", "substituted", "long_pause")
CONFIDENT = 0.5  # at or above: a narration error to fix; below: likely a mishearing


def is_to_fix(issue: NarrationIssue) -> bool:
    return issue.type in TO_FIX and issue.confidence >= CONFIDENT


def to_fix(alignment: Alignment) -> list[NarrationIssue]:
    """The pickup list, in time order."""
    return [i for i in alignment.issues if is_to_fix(i)]


def notes(alignment: Alignment) -> list[NarrationIssue]:
    """Everything else found: intro, outro, and findings below ``CONFIDENT``."""
    return [i for i in alignment.issues if not is_to_fix(i)]


def verdict(alignment: Alignment) -> str:
    """One line, e.g. "narration: ok, coverage 98.7%, 2 issues to fix (1 skipped, ...)"."""
    cov = f"coverage {alignment.coverage * 100:.1f}%"
    if alignment.match == "mismatch":
        return f"narration: mismatch, {cov}: the recording does not read this article"
    fix = to_fix(alignment)
    if not fix:
        return f"narration: {alignment.match}, {cov}, no issues to fix"
    counts = Counter(i.type for i in fix)
    kinds = ", ".join(f"{n} {t.replace('_', ' ')}" for t, n in sorted(counts.items()))
    noun = "issue" if len(fix) == 1 else "issues"
    return f"narration: {alignment.match}, {cov}, {len(fix)} {noun} to fix ({kinds})"
