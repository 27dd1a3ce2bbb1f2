"""Align: a transcript against the article it reads.

Takes a ``Transcript`` and the article (parsed into a ``SourceText`` by ``source``); gives
an ``Alignment``: timed article words and sentences, coverage, the narration issues
(skipped, inserted, repeated, substituted, long pauses), the summary's place and chapters,
with the one "to fix" rule and verdict in ``verdict``.
"""

from audio_pipeline.align.aligner import align
from audio_pipeline.align.source import parse_source
from audio_pipeline.align.verdict import CONFIDENT, TO_FIX, is_to_fix, notes, to_fix, verdict

__all__ = ["CONFIDENT", "TO_FIX", "align", "is_to_fix", "notes", "parse_source", "to_fix",
           "verdict"]
