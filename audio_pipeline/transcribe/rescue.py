"""Speech Whisper decoded badly and then threw away as silence, heard a second time.

Whisper decodes each 30 s window greedily; when the text loops or reads as unlikely, it
retries at rising temperatures, and when even the last try is unlikely (mean log
probability under -1) while the window "sounds" silent (no-speech probability over
0.6), it drops the window without a word. On a clear voice the model hears less well
(espeak-ng's Portuguese, for one, through the ``base`` model) the greedy decoding of a
whole window can fall into a loop, every fallback is worse, and 30 s of narration leave
no trace: the narration report then lists every sentence in them as skipped.

So after each piece is transcribed, every stretch without words that holds voiced audio
is decoded once more with a beam search at temperature 0 (which does not fall into the
greedy loop), with the no-speech skip off; its segments are kept only where Whisper's
own tests pass (mean log probability at least -1, compression ratio at most 2.4): text
Whisper itself would have kept, had the first decoding been this one. A pause, a breath
or room tone is not voiced, so a normal narration is never decoded twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np

from audio_pipeline.media.levels import frame_levels_db
from audio_pipeline.transcribe.whisper_input import chunk_bounds, shifted
from audio_pipeline.types import Segment, Transcript, Word

log = logging.getLogger(__name__)

RESCUE_BEAM = 5
# Whisper's own thresholds for a decoding it keeps (whisper.transcribe's defaults).
MIN_AVG_LOGPROB = -1.0
MAX_COMPRESSION_RATIO = 2.4
# A stretch is worth a second decoding when it is this long without a word and this much
# of it is voiced: longer than a narrator's pause, more than a breath or a click.
MIN_GAP = 3.0  # s
MIN_VOICED = 1.5  # s
RESCUE_PIECE = 10.0  # s: the second try's longest piece
_FRAME = 0.05  # s
# Voiced: well above the room tone (the quietest tenth of the frames) and within reach
# of the speech (the loudest tenth).
_ABOVE_ROOM_DB = 12.0
_BELOW_SPEECH_DB = 25.0
_SPEECH_RANGE_DB = 10.0  # frames this close to the speech level are voiced, always

Decode = Callable[[np.ndarray, float], Transcript]


def decodes_well(avg_logprob: float, compression_ratio: float) -> bool:
    """Whether Whisper's own tests keep a rescued segment."""
    return avg_logprob >= MIN_AVG_LOGPROB and compression_ratio <= MAX_COMPRESSION_RATIO


def voiced_frames(array: np.ndarray, rate: int, length: float) -> np.ndarray:
    """Whether each _FRAME of the first ``length`` s of ``array`` (mono) is voiced."""
    levels = frame_levels_db(array[:int(length * rate)], rate, _FRAME)
    if levels.size == 0:
        return np.zeros(0, dtype=bool)
    room, speech = np.percentile(levels, [10, 90])
    # a stretch read without a pause has no room tone to measure: its 10th percentile is
    # speech, so the loud frames count as voiced whatever that percentile says
    threshold = min(max(room + _ABOVE_ROOM_DB, speech - _BELOW_SPEECH_DB),
                    speech - _SPEECH_RANGE_DB)
    return levels >= threshold


def lost_stretches(words: Sequence[Word], voiced: np.ndarray, start: float,
                   end: float) -> list[tuple[float, float]]:
    """(start, end) s of each stretch between ``start`` and ``end`` with no word for
    MIN_GAP s and MIN_VOICED s of ``voiced`` frames (voiced_frames)."""
    spans = sorted((w.start, w.end) for w in words if w.end > start and w.start < end)
    stretches: list[tuple[float, float]] = []
    heard_until = start
    for a, b in [*spans, (end, end)]:
        if a - heard_until >= MIN_GAP:
            frames = voiced[int(heard_until / _FRAME):int(a / _FRAME)]
            if np.count_nonzero(frames) * _FRAME >= MIN_VOICED:
                stretches.append((heard_until, a))
        heard_until = max(heard_until, b)
    return stretches


def rescue_lost_speech(transcript: Transcript, array: np.ndarray, rate: int, length: float,
                       decode: Decode) -> Transcript:
    """``transcript`` (of ``array``, mono, ``length`` s) with the words of its lost
    stretches, decoded by ``decode`` (samples, their length s -> their transcript, already
    filtered by decodes_well). What a whole stretch does not give is tried again in
    pieces of at most RESCUE_PIECE s: a decoding that loops over 30 s often does not
    over ten."""
    voiced = voiced_frames(array, rate, length)
    rescued: list[Segment] = []
    for start, end in lost_stretches(transcript.words, voiced, 0.0, length):
        found = _decoded(decode, array, rate, start, end)
        still = lost_stretches([w for seg in found for w in seg.words], voiced, start, end)
        for a, b in still:
            stretch = array[int(a * rate):int(b * rate)]
            for lo, hi in chunk_bounds(stretch, RESCUE_PIECE, rate):
                found += _decoded(decode, array, rate, a + lo / rate, a + hi / rate)
        rescued += found
    if not rescued:
        return transcript
    log.info("re-decoded speech Whisper had dropped as silence: %d segment(s) from %s",
             len(rescued), ", ".join(f"{seg.start:.1f} s" for seg in rescued))
    return merged(transcript, rescued)


def _decoded(decode: Decode, array: np.ndarray, rate: int, start: float,
             end: float) -> list[Segment]:
    """The worded segments ``decode`` finds between ``start`` and ``end`` s, at their
    times in ``array``."""
    heard = decode(array[int(start * rate):int(end * rate)], end - start)
    return [shifted(seg, start, 0) for seg in heard.segments if seg.words]


def merged(transcript: Transcript, rescued: Sequence[Segment]) -> Transcript:
    """``transcript`` with the ``rescued`` segments (at their times in it), in time order."""
    moved = [*transcript.segments, *rescued]
    moved.sort(key=lambda seg: (seg.words[0].start if seg.words else seg.start, seg.start))
    segments = tuple(Segment(k, s.start, s.end, s.text, s.words) for k, s in enumerate(moved))
    return Transcript(segments, transcript.language, transcript.model, transcript.duration)
