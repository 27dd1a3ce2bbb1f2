"""The narrator's pickup list, ``<slug>.narration.md``: what to fix, then the notes."""

from __future__ import annotations

from audio_pipeline.align.verdict import notes, to_fix, verdict
from audio_pipeline.formatting import clock_tenths
from audio_pipeline.types import Alignment

_ACTION = {
    "skipped": "Record the missing text; insert it at this point.",
    "repeated": "Cut this span: the abandoned first attempt (the later reading is kept).",
    "inserted": "Cut this ad-lib, or keep it if intended.",
    "substituted": "Re-record the sentence with the expected wording.",
    "long_pause": "Shorten the pause.",
    "intro": "Intro before the article: check it is intended.",
    "outro": "Outro after the article: check it is intended.",
}


def _cell(text: str, limit: int = 90) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return (text[: limit - 1] + "…") if len(text) > limit else (text or "—")


def render_narration_report(alignment: Alignment, *, title: str = "") -> str:
    """The ``<slug>.narration.md`` pickup list a narrator works from."""
    lines = [f"# Narration pickups{': ' + title if title else ''}", "", verdict(alignment), ""]
    fix = to_fix(alignment)
    others = notes(alignment)
    if alignment.match == "mismatch":
        lines += [
            "The recording does not read this article: check that audio and text belong together.",
            "",
        ]
    if fix:
        lines += [
            "## To fix",
            "",
            "| # | time | issue | expected | heard | what to do |",
            "|---|---|---|---|---|---|",
        ]
        for n, i in enumerate(fix, 1):
            long = i.end - i.start >= 1.0
            when = clock_tenths(i.start) + (f"–{clock_tenths(i.end)}" if long else "")
            lines.append(
                f"| {n} | {when} | {i.type.replace('_', ' ')} | {_cell(i.expected)} | "
                f"{_cell(i.heard)} | {_ACTION[i.type]} |"
            )
        lines.append("")
    if others:
        lines += [
            "## Notes (expected, or not sure)",
            "",
            "| time | issue | expected | heard | confidence |",
            "|---|---|---|---|---|",
        ]
        for i in others:
            lines.append(
                f"| {clock_tenths(i.start)} | {i.type.replace('_', ' ')} | {_cell(i.expected)} | "
                f"{_cell(i.heard)} | {i.confidence:.2f} |"
            )
        lines.append("")
    if alignment.summary.found and alignment.summary.start is not None:
        at, score = clock_tenths(alignment.summary.start), alignment.summary.score
        lines.append(f"Summary read at {at} (score {score:.2f}).")
        lines.append("")
    return "\n".join(lines)
