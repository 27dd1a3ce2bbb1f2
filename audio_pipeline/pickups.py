"""The narrator's pickup list (``<slug>.narration.md``) and the one-line verdict.

An issue is *to fix* when its type is one an editor or narrator acts on and its
confidence is at least 0.5; intro, outro and less certain findings are listed as notes.
"""

from __future__ import annotations

from collections import Counter

from audio_pipeline.types import Alignment, NarrationIssue

TO_FIX = ("skipped", "repeated", "inserted", "substituted", "long_pause")


def _to_fix(alignment: Alignment) -> list[NarrationIssue]:
    return [i for i in alignment.issues if i.type in TO_FIX and i.confidence >= 0.5]


def verdict(alignment: Alignment) -> str:
    """One line, e.g. "narration: ok, coverage 98.7%, 2 issues to fix (1 skipped, ...)"."""
    cov = f"coverage {alignment.coverage * 100:.1f}%"
    if alignment.match == "mismatch":
        return f"narration: mismatch, {cov}: the recording does not read this article"
    fix = _to_fix(alignment)
    if not fix:
        return f"narration: {alignment.match}, {cov}, no issues to fix"
    counts = Counter(i.type for i in fix)
    kinds = ", ".join(f"{n} {t.replace('_', ' ')}" for t, n in sorted(counts.items()))
    noun = "issue" if len(fix) == 1 else "issues"
    return f"narration: {alignment.match}, {cov}, {len(fix)} {noun} to fix ({kinds})"


def _mmss(t: float) -> str:
    t = max(0.0, t)
    return f"{int(t // 60):02d}:{t % 60:04.1f}"


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
    fix = _to_fix(alignment)
    notes = [i for i in alignment.issues if i not in fix]
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
            when = _mmss(i.start) + (f"–{_mmss(i.end)}" if i.end - i.start >= 1.0 else "")
            lines.append(
                f"| {n} | {when} | {i.type.replace('_', ' ')} | {_cell(i.expected)} | "
                f"{_cell(i.heard)} | {_ACTION[i.type]} |"
            )
        lines.append("")
    if notes:
        lines += [
            "## Notes (expected, or not sure)",
            "",
            "| time | issue | expected | heard | confidence |",
            "|---|---|---|---|---|",
        ]
        for i in notes:
            lines.append(
                f"| {_mmss(i.start)} | {i.type.replace('_', ' ')} | {_cell(i.expected)} | "
                f"{_cell(i.heard)} | {i.confidence:.2f} |"
            )
        lines.append("")
    if alignment.summary.found and alignment.summary.start is not None:
        at, score = _mmss(alignment.summary.start), alignment.summary.score
        lines.append(f"Summary read at {at} (score {score:.2f}).")
        lines.append("")
    return "\n".join(lines)
