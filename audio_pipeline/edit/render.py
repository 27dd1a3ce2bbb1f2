"""The edited recording: each cut moved to the quietest spot near it, joined with a short
equal-power crossfade, then normalized and encoded as the unedited episode is.

Whisper's word times are good to a tenth of a second or so, so a cut at a word's start
could clip its onset: each cut point moves to the lowest short-term energy within
``SEARCH_BEFORE`` before and ``SEARCH_AFTER`` after it (the room tone in front of a
word), the nearest spot within 6 dB of the quietest (room tone is noise). The crossfade
is centred on the join, so a cut removes exactly its own length and the time map of the
moved cuts stays exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from audio_pipeline.edit.types import EditList, pause_cut
from audio_pipeline.metadata.config import PodcastConfig
from audio_pipeline.types import Audio, LoudnessReport

CROSSFADE_S = 0.02  # equal-power join: long enough to hide a step, short enough for speech
SEARCH_BEFORE = 0.15
SEARCH_AFTER = 0.03
_FRAME_S = 0.005  # the energy's smoothing window
_PAUSE_FRAME_S = 0.02  # frames for measuring a pause's room tone


def _quietest(power: np.ndarray, rate: int, t: float, lo: int, hi: int) -> int:
    """The sample index of the lowest smoothed power in the window around ``t``."""
    a = max(lo, int(round((t - SEARCH_BEFORE) * rate)))
    b = min(hi, int(round((t + SEARCH_AFTER) * rate)))
    here = min(max(int(round(t * rate)), lo), hi)
    if b - a < 3:
        return here
    width = max(1, int(_FRAME_S * rate))
    smooth = np.convolve(power[a:b], np.ones(width) / width, mode="same")
    floor = float(smooth.min())
    # room tone is noise, so its minimum falls anywhere: within 6 dB of it counts as quiet
    quiet = np.flatnonzero(smooth <= max(4.0 * floor, 1e-12))
    return int(a + quiet[np.argmin(np.abs(quiet + a - here))])


def _frame_db(power: np.ndarray, rate: int) -> np.ndarray:
    """Power of each ``_PAUSE_FRAME_S`` frame, dB."""
    hop = max(1, int(_PAUSE_FRAME_S * rate))
    n = len(power) // hop
    frames = power[: n * hop].reshape(n, hop).mean(axis=1) if n else np.zeros(0)
    return 10.0 * np.log10(frames + 1e-12)


def _silence_around(frames_db: np.ndarray, rate: int, t: float) -> tuple[float, float] | None:
    """The run of room tone holding ``t`` (s), from the frames' levels; None if ``t`` is
    not quiet. Room tone is within 12 dB of the quietest tenth of the frames and well under
    the speech; a breath or a word ends the run."""
    if not len(frames_db):
        return None
    floor, speech = np.percentile(frames_db, [10, 90])
    threshold = min(floor + 12.0, speech - 25.0)
    k = min(int(t / _PAUSE_FRAME_S), len(frames_db) - 1)
    if frames_db[k] >= threshold:
        return None
    loud = np.flatnonzero(frames_db >= threshold)
    before, after = loud[loud < k], loud[loud > k]
    a = (before[-1] + 1) if len(before) else 0
    b = after[0] if len(after) else len(frames_db)
    return a * _PAUSE_FRAME_S, b * _PAUSE_FRAME_S


def refine_cuts(samples: np.ndarray, rate: int, spans: Sequence[tuple[float, float]],
                keeps: Sequence[float | None] = ()) -> list[tuple[int, int]]:
    """Cut spans in samples, never overlapping. A cut with a ``keeps`` value (a long
    pause) is re-centred on the room tone as measured, leaving that much of it: Whisper
    often ends a word late, before a long pause; other cut ends move to the quiet spot
    near them."""
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    power = mono.astype(np.float64) ** 2
    frames_db = _frame_db(power, rate) if any(k is not None for k in keeps) else np.zeros(0)
    n = len(mono)
    half = int(CROSSFADE_S * rate) // 2
    order = sorted(range(len(spans)), key=lambda k: spans[k])
    out: list[tuple[int, int]] = []
    prev_end = 0
    for pos, k in enumerate(order):
        start, end = spans[k]
        next_start = int(spans[order[pos + 1]][0] * rate) if pos + 1 < len(order) else n
        keep = keeps[k] if k < len(keeps) else None
        quiet = _silence_around(frames_db, rate, (start + end) / 2) if keep is not None else None
        span = pause_cut(quiet[0], quiet[1], keep) if quiet and keep is not None else None
        if span is not None:
            s = max(int(round(span[0] * rate)), prev_end + half)
            e = min(int(round(span[1] * rate)), max(s + 1, next_start - half))
        else:
            s = _quietest(power, rate, start, prev_end + half, n)
            e = _quietest(power, rate, end, s + 1, max(s + 1, next_start - half))
        if e <= s:
            continue
        out.append((s, min(e, n)))
        prev_end = min(e, n) + half
    return out


def apply_cuts(samples: np.ndarray, rate: int, cuts: Sequence[tuple[int, int]],
               crossfade: float = CROSSFADE_S) -> np.ndarray:
    """The samples without the cuts; each join an equal-power crossfade centred on it."""
    x = samples if samples.ndim == 2 else samples[:, None]
    n = x.shape[0]
    pieces: list[np.ndarray] = []
    pos = 0
    for s, e in cuts:
        h = min(int(crossfade * rate) // 2, s - pos, n - e)
        pieces.append(x[pos : s - h])
        if h > 0:
            t = (np.arange(2 * h) + 0.5) / (2 * h)
            fade_out = np.cos(0.5 * np.pi * t)[:, None]
            fade_in = np.sin(0.5 * np.pi * t)[:, None]
            pieces.append((x[s - h : s + h] * fade_out + x[e - h : e + h] * fade_in)
                          .astype(x.dtype))
        pos = e + h
    pieces.append(x[pos:])
    out = np.concatenate(pieces, axis=0)
    return out if samples.ndim == 2 else out[:, 0]


def cut_audio(audio: Audio, edits: EditList) -> tuple[Audio, list[tuple[float, float]]]:
    """The edited audio and the cuts as rendered (seconds of the recording)."""
    spans = refine_cuts(audio.samples, audio.sample_rate, [(c.start, c.end) for c in edits.cuts],
                        [c.keep if c.reason == "long_pause" else None for c in edits.cuts])
    edited = apply_cuts(audio.samples, audio.sample_rate, spans)
    rate = audio.sample_rate
    return (Audio(np.ascontiguousarray(edited), rate, audio.path),
            [(s / rate, e / rate) for s, e in spans])


def render_edited(recording: Path, edits: EditList, dest: Path,
                  config: PodcastConfig) -> tuple[LoudnessReport, list[tuple[float, float]], float]:
    """Encode the edited episode to ``dest`` with the unedited one's loudness settings;
    returns the loudness report, the cuts as rendered and the edited duration (s)."""
    from audio_pipeline.loudness.normalizer import normalize_and_encode
    from audio_pipeline.media.decoder import decode

    edited, spans = cut_audio(decode(recording), edits)
    report = normalize_and_encode(
        edited, dest, preset=config.loudness_preset, target=config.target_lufs,
        ceiling=config.true_peak, bitrate_kbps=config.bitrate_kbps,
        sample_rate=config.sample_rate, channels=config.channels, leveler=config.leveler)
    return report, spans, edited.duration
