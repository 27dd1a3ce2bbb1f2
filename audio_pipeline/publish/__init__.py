"""Publish: what listeners, podcast apps and producers read, from the aligned episode.

Takes the transcript and the ``Alignment`` (or the transcript alone); gives segments in
the article's spelling (``segments``), captions and transcripts (``cues``, ``writers``),
Podcasting 2.0 files, the transcript page and the feed (``listener``), the narrator's
pickup list (``pickups``) and the producer's HTML report with its plot (``report``).
"""

from audio_pipeline.publish.pickups import render_narration_report
from audio_pipeline.publish.report import render_report
from audio_pipeline.publish.segments import timed_source_segments
from audio_pipeline.publish.writers import write_transcripts

__all__ = ["render_narration_report", "render_report", "timed_source_segments",
           "write_transcripts"]
