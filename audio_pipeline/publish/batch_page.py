"""`report.html` of a batch: one row per episode, linking to each episode's report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from audio_pipeline.publish.page import environment
from audio_pipeline.types import EpisodeSummary


@dataclass(frozen=True)
class BatchRow:
    summary: EpisodeSummary
    title: str
    report: str  # the episode report's path relative to the batch folder; "" if none


def render_batch_report(rows: Sequence[BatchRow], *, title: str, language: str) -> str:
    env = environment()
    env.filters["num"] = lambda v, digits=1: "–" if v is None else f"{v:.{digits}f}"
    return env.get_template("batch_report.html.j2").render(
        rows=list(rows), title=title, language=language or "en")
