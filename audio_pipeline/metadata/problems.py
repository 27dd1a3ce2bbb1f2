"""What can be wrong in a manifest, as values: one ``ManifestProblem`` per finding.

Batch reports group them by episode and ``--only`` matches their slugs; the CLI prints
them. Nothing parses their text back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from audio_pipeline.errors import ManifestError


@dataclass(frozen=True)
class ManifestProblem:
    """One thing wrong in a manifest (or in command-line episode values).

    ``index`` is the episode's 1-based position and ``slug`` the slug it has or would
    have (what ``--only`` takes); both are None for problems outside the episodes.
    """

    message: str
    key: str = ""
    index: int | None = None
    slug: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        what = f"{self.key}{where}: {self.message}" if self.key else self.message
        return f"{self.label}: {what}" if self.label else what

    @property
    def label(self) -> str:
        """"episode #3 (slug)", or "" for a problem outside the episodes."""
        if self.index is None:
            return ""
        return f"episode #{self.index}" + (f" ({self.slug})" if self.slug else "")


class ManifestProblems(ManifestError):
    """A ManifestError that carries every problem found."""

    def __init__(self, problems: Iterable[ManifestProblem], path: str | Path | None = None):
        self.problems = tuple(problems)
        n = len(self.problems)
        head = "1 problem" if n == 1 else f"{n} problems"
        super().__init__(f"{head}: " + "; ".join(str(p) for p in self.problems), path)

    def __reduce__(self):  # keep the list across process boundaries (batch workers)
        return (ManifestProblems, (self.problems, self.path))
