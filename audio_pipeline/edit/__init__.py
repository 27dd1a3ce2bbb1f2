"""Edit: takes the alignment's narration issues (and the recording) and gives the edit
decision list (``decide``: retakes cut, long pauses shortened) and the edited audio
(``render``), with the time map (``timemap``) that moves captions and chapters to match.

The recording is never modified; cuts are data (``types``) a producer can review and
change by hand before ``audio-pipeline render`` renders them again.
"""

from audio_pipeline.edit.decide import plan_edits
from audio_pipeline.edit.timemap import TimeMap, map_chapters, map_segments
from audio_pipeline.edit.types import Cut, EditList, read_edits

__all__ = ["Cut", "EditList", "TimeMap", "map_chapters", "map_segments", "plan_edits",
           "read_edits"]
