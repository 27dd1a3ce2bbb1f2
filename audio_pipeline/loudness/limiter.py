"""Gain planning and a look-ahead true-peak limiter, computed at a 1 ms control rate.

The limiter never looks at samples: it works on the meter's per-millisecond true-peak
envelope (``meter.MeterBlocks``), so planning a 60-minute file takes well under a
second and can be repeated when the loudness lost to limiting must be made up.

Gain reduction curve, in dB, from the reduction each 1 ms block needs:
  1. look-ahead and hold: the maximum over [k - hold - 1, k + look-ahead + 1] blocks
     (the extra block each side keeps the per-sample interpolation below the ceiling);
  2. release: a constant-rate return, ``RELEASE_DB_PER_S`` dB per second (running
     maximum of the reduction minus the rate times the time since the peak);
  3. attack: a moving average over the previous look-ahead span, so the gain glides
     down in ``LOOKAHEAD_MS`` before the peak and has fully arrived when the peak does.
Each step can only raise the reduction at every block, so the result never lets a
block's true peak exceed the ceiling. The linear gain is interpolated sample by sample
between block centres: no steps, no clicks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from audio_pipeline.loudness.meter import MeterBlocks, block_bounds, integrated, quarters

# Speech's loudness lives between its peaks (glottal pulses, plosives): a slow limiter
# (20 ms hold, 40 dB/s) turns into a broadband gain cut on peaky voices and cannot lower
# the peak-to-loudness ratio at all, so these follow a fast broadcast limiter (ffmpeg's
# alimiter defaults to 5 ms attack, 50 ms release, about 170 dB/s from 6 dB).
LOOKAHEAD_MS = 2  # attack ramp: the gain is fully down when the peak arrives
HOLD_MS = 4  # rides over the next glottal pulse instead of pumping between pulses
RELEASE_DB_PER_S = 200.0  # 6 dB of reduction recovers in 30 ms
_ACTIVE_DB = 0.05  # below this the limiter counts as inactive
_CHUNK = 1 << 20  # control blocks per step of the reduction curve (17 minutes)


@dataclass(frozen=True)
class GainPlan:
    gain_db: float  # static gain before the limiter
    reduction_db: np.ndarray  # limiter reduction per 1 ms block (>= 0)
    expected_lufs: float  # integrated loudness after gain and limiter, pre-encode
    rate: int
    frames: int
    # the leveler's gain per 1 ms block (dB), applied before the static gain; None: off
    leveler_db: np.ndarray | None = None

    @property
    def max_reduction_db(self) -> float:
        return float(self.reduction_db.max()) if self.reduction_db.size else 0.0

    @property
    def active_share(self) -> float:
        if not self.reduction_db.size:
            return 0.0
        return float(np.count_nonzero(self.reduction_db > _ACTIVE_DB) / self.reduction_db.size)


def reduction_curve(needed_db: np.ndarray, *, lookahead_ms: int = LOOKAHEAD_MS,
                    hold_ms: int = HOLD_MS,
                    release_db_per_s: float = RELEASE_DB_PER_S) -> np.ndarray:
    """Smooth gain reduction (dB per 1 ms block, float32) covering ``needed_db`` at every
    block. Computed in chunks with the state carried over, so a 3-hour plan needs a few
    small temporaries rather than a dozen full-length float64 arrays."""
    need = np.asarray(needed_db)
    n = need.shape[0]
    out = np.zeros(n, dtype=np.float32)
    if n == 0 or not np.any(need > 0):
        return out
    back, ahead = hold_ms + 1, lookahead_ms + 1
    rate = release_db_per_s / 1000.0
    released_before = -np.inf  # the release curve at the block before the chunk
    history: np.ndarray | None = None  # the last ahead - 1 released values
    for s in range(0, n, _CHUNK):
        e = min(n, s + _CHUNK)
        lo, hi = max(0, s - back), min(n, e + ahead)
        window = np.zeros((e - s) + back + ahead)
        start = back - (s - lo)
        np.maximum(need[lo:hi], 0.0, out=window[start:start + hi - lo])
        held = sliding_window_view(window, back + ahead + 1).max(axis=1)
        held[0] = max(held[0], released_before - rate)
        ramp = rate * np.arange(e - s, dtype=np.float64)
        held += ramp
        released = np.maximum.accumulate(held)
        released -= ramp
        released_before = float(released[-1])
        # Moving average over the previous `ahead` blocks; before the first block the
        # first value (not zero) keeps the average at or above what the start needs.
        if history is None:
            history = np.full(ahead - 1, released[0])
        joined = np.concatenate([history, released])
        smooth = joined[ahead - 1:].copy()
        for lag in range(1, ahead):
            smooth += joined[ahead - 1 - lag: joined.shape[0] - lag]
        smooth /= ahead
        history = joined[joined.shape[0] - (ahead - 1):]
        np.maximum(smooth, 0.0, out=smooth)
        out[s:e] = smooth
    return out


def plan_gain(blocks: MeterBlocks, *, target: float, ceiling: float,
              max_makeup_db: float = 12.0, iterations: int = 12) -> GainPlan:
    """Gain reaching ``target`` LUFS and a limiter holding true peak to ``ceiling`` dBTP.

    Limiting lowers the loudness, so the static gain is raised by what was lost and the
    limiter re-planned (secant steps on the monotonic gain -> loudness curve) until the
    expected loudness is within 0.01 LU. The make-up beyond the plain gain is capped at
    ``max_makeup_db``: past that the limiter would flatten the speech, and the target
    is missed instead (the caller reports it).
    """
    q_in = quarters(blocks.energy, blocks.complete)
    start = integrated(q_in, blocks.rate)
    if not np.isfinite(start):
        return GainPlan(0.0, np.zeros(blocks.energy.shape[0], np.float32), start, blocks.rate,
                        blocks.frames)
    with np.errstate(divide="ignore"):
        peak_db = 20.0 * np.log10(blocks.true_peak.astype(np.float32))
    counted = q_in.shape[0] * 100  # blocks inside whole 100 ms steps

    def attempt(gain: float) -> tuple[np.ndarray, float]:
        red = reduction_curve(peak_db + np.float32(gain - ceiling))
        # Only limited blocks change: subtract what the limiter takes from their step.
        active = np.flatnonzero(red[:counted] > 0)
        lost = blocks.energy[active] * -np.expm1(red[active] * (-np.log(10.0) / 10.0))
        q = (q_in - np.bincount(active // 100, lost, minlength=q_in.shape[0])) * 10.0 ** (
            gain / 10.0)
        return red, integrated(q, blocks.rate)

    low = target - start
    high = low + max_makeup_db
    g_prev, (red, e_prev) = low, attempt(low)
    gain, expected = g_prev, e_prev
    if abs(target - e_prev) >= 0.01:
        gain = min(low + (target - e_prev), high)
        red, expected = attempt(gain)
        for _ in range(iterations):
            if abs(target - expected) < 0.01 or (gain >= high and expected < target):
                break
            slope = (expected - e_prev) / (gain - g_prev) if gain != g_prev else 1.0
            slope = float(np.clip(slope, 0.05, 1.0))
            g_prev, e_prev = gain, expected
            gain = float(np.clip(gain + (target - expected) / slope, low, high))
            red, expected = attempt(gain)
    return GainPlan(float(gain), red, float(expected), blocks.rate, blocks.frames)


def render(blocks: Iterable[np.ndarray], plan: GainPlan, *,
           offset: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """Yield float32 blocks of ``(block - offset) * gain(t)`` following ``plan``."""
    rate = plan.rate
    n_blocks = plan.reduction_db.shape[0]
    limited = bool(np.any(plan.reduction_db > 0)) or plan.leveler_db is not None
    static = np.float32(10.0 ** (plan.gain_db / 20.0))
    shift = None if offset is None else offset.astype(np.float32)
    start = 0
    for block in blocks:
        x = block if block.ndim == 2 else block[:, None]
        if shift is not None:
            x = x - shift
        stop = start + x.shape[0]
        if not limited:
            yield (x * static).astype(np.float32, copy=False)
        else:
            # The gain curve of the control blocks around this audio block: linear
            # gain at each block's centre (a partial last block ends early).
            k0 = max(int(start * 1000 // rate) - 2, 0)
            k1 = min(int(stop * 1000 // rate) + 3, n_blocks)
            edges = block_bounds(np.arange(k0, k1 + 1), rate).astype(np.float64)
            edges[-1] = min(edges[-1], float(plan.frames))
            centres = (edges[:-1] + edges[1:] - 1.0) / 2.0
            db = plan.gain_db - plan.reduction_db[k0:k1].astype(np.float64)
            if plan.leveler_db is not None:
                db += plan.leveler_db[k0:k1]
            gains = 10.0 ** (db / 20.0)
            t = np.arange(start, stop, dtype=np.float64)
            g = np.interp(t, centres, gains).astype(np.float32)
            yield x * g[:, None]
        start = stop
