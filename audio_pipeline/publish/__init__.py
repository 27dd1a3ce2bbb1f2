"""Publish: what listeners and producers read, written from the aligned episode.

Takes the transcript and the ``Alignment`` (or the transcript alone); gives segments in
the article's spelling (``segments``), subtitles and transcripts (``writers``), the
narrator's pickup list (``pickups``) and the producer's HTML report (``report``).
"""

from audio_pipeline.publish.pickups import render_narration_report
from audio_pipeline.publish.report import render_report
from audio_pipeline.publish.segments import timed_source_segments
from audio_pipeline.publish.writers import write_transcripts

__all__ = ["render_narration_report", "render_report", "timed_source_segments",
           "write_transcripts"]
