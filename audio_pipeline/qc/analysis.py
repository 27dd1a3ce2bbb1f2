"""What the checks measure, from decoded samples: speech and pauses, room tone, hum, clips.

Speech and pauses come from 20 ms frame levels (RMS of the channels' mean, dBFS): a frame
is quiet when it is more than ``PAUSE_UNDER_DB`` under the speech's loud frames (their
95th percentile; in a noisy room, 6 dB over the quietest frames), and a pause is at
least ``MIN_PAUSE_S`` of quiet frames. The room tone of a pause is measured inside it
(``EDGE_S`` off each side: a word's decay is not room tone), as the median of its 20 ms
frames (dBFS RMS), so a click inside a pause does not count. Hum is the energy in 1 Hz
bins at 50 or 60 Hz and three harmonics of the pauses' spectrum (Welch, 1 s segments),
when it stands out of the neighbouring bins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import welch

FRAME_S = 0.02
PAUSE_UNDER_DB = 30.0
MIN_PAUSE_S = 0.3
EDGE_S = 0.04
CLIP_LEVEL = 0.999  # the meter's full scale (loudness.meter counts clipped samples so too)
HUM_PROMINENCE_DB = 10.0  # hum bins over the median of their neighbourhood


@dataclass(frozen=True)
class Pause:
    start: float
    end: float
    level_db: float  # median 20 ms RMS of the room tone inside it, dBFS (-inf: silence)


@dataclass(frozen=True)
class Figures:
    duration: float
    speech_start: float | None  # None: no speech found
    speech_end: float | None
    pauses: tuple[Pause, ...]  # in time order, head and tail included
    noise_floor_db: float | None  # median 20 ms RMS inside the pauses; None: no pause
    hum_hz: int | None
    hum_db: float | None  # RMS of the hum bins, dBFS
    clip_runs: tuple[tuple[float, int], ...]  # (time, samples) of each run at full scale
    dc_db: tuple[float, ...]  # per channel, dBFS of |mean|
    channel_rms_db: tuple[float, ...]
    rms_db: float
    peak_db: float


def _db(power: float) -> float:
    return float(10.0 * np.log10(power)) if power > 0 else float("-inf")


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _clip_runs(x: np.ndarray, rate: int, min_run: int) -> list[tuple[float, int]]:
    out: list[tuple[float, int]] = []
    for c in range(x.shape[1]):
        hot = np.abs(x[:, c]) >= CLIP_LEVEL
        if not hot.any():
            continue
        out += [(a / rate, b - a) for a, b in _runs(hot) if b - a >= min_run]
    return sorted(out)


def _hum(parts: list[np.ndarray], rate: int) -> tuple[int | None, float | None]:
    if not parts:
        return None, None
    joined = np.concatenate(parts)
    if joined.shape[0] < rate:  # a 1 Hz resolution needs a second of room tone
        return None, None
    freqs, psd = welch(joined, rate, nperseg=rate, noverlap=rate // 2)
    best: tuple[int | None, float | None, float] = (None, None, -np.inf)
    for f0 in (50, 60):
        bins = [int(round(f0 * k)) for k in range(1, 5) if f0 * k < rate / 2]
        power = float(sum(psd[b - 1:b + 2].sum() for b in bins))  # 1 Hz bins: df = 1
        around = np.concatenate([psd[max(b - 12, 1):b - 3] for b in bins]
                                + [psd[b + 4:b + 13] for b in bins])
        prominence = _db(float(np.mean([psd[b - 1:b + 2].max() for b in bins]))
                         / max(float(np.median(around)), 1e-30))
        if prominence >= HUM_PROMINENCE_DB and power > best[2]:
            best = (f0, _db(power), power)
    return best[0], best[1]


def analyse(samples: np.ndarray, rate: int, *, clip_run: int = 3) -> Figures:
    """Figures for float samples shaped (frames, channels) at ``rate``."""
    x = samples if samples.ndim == 2 else samples[:, None]
    n = x.shape[0]
    # float32 throughout (an hour of stereo is 1.3 GB already); sums of squares per frame
    # and per channel are taken in float64
    x = x.astype(np.float32, copy=False)
    mono = x.mean(axis=1) if x.shape[1] > 1 else x[:, 0]
    hop = max(int(round(FRAME_S * rate)), 1)
    frames = n // hop
    power = np.square(mono[: frames * hop]).reshape(frames, hop).mean(axis=1, dtype=np.float64)
    with np.errstate(divide="ignore"):
        level = 10.0 * np.log10(power)
    loud = level[np.isfinite(level)]
    pauses: list[Pause] = []
    start = end = None
    noise_parts: list[np.ndarray] = []
    noise_frames: list[np.ndarray] = []
    if loud.size:
        # A noisy room sits less than PAUSE_UNDER_DB under the speech: the quiet frames'
        # own level (10th percentile) + 6 dB then marks the pauses, but never less than
        # 15 dB under the speech.
        p10, p95 = (float(v) for v in np.percentile(loud, [10, 95]))
        threshold = min(max(p95 - PAUSE_UNDER_DB, p10 + 6.0), p95 - 15.0)
        quiet = ~(level > threshold)
        voiced = np.flatnonzero(~quiet)
        if voiced.size:
            start, end = voiced[0] * hop / rate, (voiced[-1] + 1) * hop / rate
        edge = int(round(EDGE_S * rate))
        for a, b in _runs(quiet):
            if (b - a) * hop / rate < MIN_PAUSE_S:
                continue
            lo = a * hop + (edge if a > 0 else 0)
            hi = min(b * hop, n) - (edge if b < frames else 0)
            inside = mono[lo:hi]
            # the median frame, not the mean: a word's decay or a click inside a pause
            # is not the room tone
            framed = level[-(-lo // hop): hi // hop]
            pauses.append(Pause(a * hop / rate, min(b * hop, n) / rate,
                                float(np.median(framed)) if framed.size else -np.inf))
            noise_parts.append(inside.astype(np.float64))
            noise_frames.append(framed)
    noise = None
    if noise_frames and sum(f.size for f in noise_frames):
        noise = float(np.median(np.concatenate(noise_frames)))
    hum_hz, hum_db = _hum(noise_parts, rate)
    sq = [float(np.square(x[:, c]).sum(dtype=np.float64)) / max(n, 1) for c in range(x.shape[1])]
    return Figures(
        duration=n / rate, speech_start=start, speech_end=end, pauses=tuple(pauses),
        noise_floor_db=noise, hum_hz=hum_hz, hum_db=hum_db,
        clip_runs=tuple(_clip_runs(x, rate, clip_run)),
        dc_db=tuple(_db(float(m) ** 2) for m in x.mean(axis=0, dtype=np.float64)),
        channel_rms_db=tuple(_db(float(v)) for v in sq),
        rms_db=_db(float(np.square(mono).sum(dtype=np.float64)) / max(n, 1)),
        peak_db=_db(float(np.max(np.abs(x))) ** 2) if n else float("-inf"),
    )
