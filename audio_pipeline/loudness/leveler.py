"""A speech-aware leveler, planned (like the limiter) on the meter's 1 ms envelope.

Why our own and not a compressor plug-in (pedalboard's Compressor): the leveler must be
planned together with the limiter against the integrated target, and a causal
sample-by-sample compressor would need a render for every step of that search. Here the
whole file's envelope is known before a sample is written, so the gain rider looks ahead
and behind (no attack or release lag) and costs milliseconds for an hour of audio.

Two parts, both a gain in dB per 1 ms block:
  1. a slow rider: the loudness of the speech around each moment (3 s windows of the
     steps that are speech, pauses excluded so that room tone is never pulled up) is
     brought to within ``DEAD_BAND_LU`` of the loudness of the whole narration (the
     narrator's own emphasis stays), at most ``MAX_BOOST_DB`` up and
     ``MAX_CUT_DB`` down, and the curve is smoothed over ``SMOOTH_S``; across a pause the
     gain glides from one side's value to the other's;
  2. a transient tamer: isolated peaks far above the speech's own peaks (a plosive click,
     a thump on the microphone) are pulled down to ``PEAK_ROOM_DB`` over the speech's
     loud peaks with the limiter's own fast curve. Their energy otherwise dominates the
     BS.1770 gate of a quiet recording, so the target gain is computed on the clicks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from audio_pipeline.loudness.limiter import reduction_curve
from audio_pipeline.loudness.meter import MeterBlocks, integrated, quarters

WINDOW_S = 3.0  # the loudness the rider follows: one or two sentences
SMOOTH_S = 1.0  # the rider's gain moves no faster than a listener notices as natural
MAX_BOOST_DB = 24.0
MAX_CUT_DB = 12.0
DEAD_BAND_LU = 3.0  # the narrator's own dynamics: differences this small are left alone
SPEECH_GATE_LU = 30.0  # steps more than this under the loudest speech are pauses
PEAK_ROOM_DB = 4.0  # a transient may stand this far above the speech's loud peaks
SPEECH_PEAK_PERCENTILE = 95.0  # of the speech's 1 ms true peaks (clicks are under 5 % of them)


@dataclass(frozen=True)
class LevelerPlan:
    gain_db: np.ndarray  # float32 per 1 ms block, applied before the static gain
    ride_range_db: float  # the rider's largest boost minus its largest cut
    tamed_db: float  # the most the transient tamer took off a peak

    @property
    def max_boost_db(self) -> float:
        return float(max(self.gain_db.max(), 0.0)) + 0.0 if self.gain_db.size else 0.0

    @property
    def max_cut_db(self) -> float:
        return float(max(-self.gain_db.min(), 0.0)) + 0.0 if self.gain_db.size else 0.0


def _db(energy: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(np.maximum(energy, 1e-30))


def _moving_sum(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving sum over ``width`` entries (shorter at the edges)."""
    c = np.concatenate([[0.0], np.cumsum(x, dtype=np.float64)])
    i = np.arange(x.shape[0])
    lo = np.clip(i - width // 2, 0, x.shape[0])
    hi = np.clip(i + width - width // 2, 0, x.shape[0])
    return c[hi] - c[lo]


def _ride(blocks: MeterBlocks) -> tuple[np.ndarray, np.ndarray]:
    """The slow rider's gain per 100 ms step (dB) and which steps are speech."""
    q = quarters(blocks.energy, blocks.complete)
    n = q.shape[0]
    if n < 4:
        return np.zeros(n), np.zeros(n, dtype=bool)
    # 400 ms momentary loudness centred on each step: steps are speech when it is
    # within SPEECH_GATE_LU of the loudest speech (the 95th percentile, not the maximum,
    # which a single thump would set).
    mom = _db(_moving_sum(q, 4) / (0.4 * blocks.rate))
    finite = mom[mom > -70.0]
    if finite.size == 0:
        return np.zeros(n), np.zeros(n, dtype=bool)
    speech = mom > max(-70.0, float(np.percentile(finite, 95)) - SPEECH_GATE_LU)
    reference = integrated(q, blocks.rate)
    width = int(round(WINDOW_S * 10))
    energy = _moving_sum(np.where(speech, q, 0.0), width)
    count = _moving_sum(speech.astype(np.float64), width)
    local = _db(energy / np.maximum(count, 1.0) / (0.1 * blocks.rate))
    off = reference - local
    want = np.clip(np.sign(off) * np.maximum(np.abs(off) - DEAD_BAND_LU, 0.0), -MAX_CUT_DB,
                   MAX_BOOST_DB)
    known = speech & (count >= 3)  # at least 300 ms of speech in the window
    if not known.any():
        return np.zeros(n), speech
    steps = np.arange(n)
    gain = np.interp(steps, steps[known], want[known])  # pauses glide across
    smooth = int(round(SMOOTH_S * 10))
    gain = _moving_sum(gain, smooth) / _moving_sum(np.ones(n), smooth)
    return gain, speech


def plan_leveler(blocks: MeterBlocks) -> LevelerPlan:
    """The leveler's gain per 1 ms block for a measured recording (see the module doc)."""
    n_blocks = blocks.energy.shape[0]
    ride_q, speech_q = _ride(blocks)
    if ride_q.size:
        centres = np.arange(ride_q.size) * 100 + 50
        ride = np.interp(np.arange(n_blocks), centres, ride_q)
    else:
        ride = np.zeros(n_blocks)
    with np.errstate(divide="ignore"):
        peak_db = 20.0 * np.log10(np.maximum(blocks.true_peak.astype(np.float64), 1e-12))
    leveled = peak_db + ride
    speech_blocks = np.repeat(speech_q, 100)[:n_blocks]
    if speech_blocks.shape[0] < n_blocks:
        speech_blocks = np.concatenate(
            [speech_blocks, np.zeros(n_blocks - speech_blocks.shape[0], dtype=bool)])
    tamed = np.zeros(n_blocks, dtype=np.float32)
    if speech_blocks.any():
        loud = float(np.percentile(leveled[speech_blocks], SPEECH_PEAK_PERCENTILE))
        tamed = reduction_curve(leveled - (loud + PEAK_ROOM_DB))
    gain = (ride - tamed).astype(np.float32)
    span = float(ride_q.max() - ride_q.min()) if ride_q.size else 0.0
    return LevelerPlan(gain, round(span, 3), float(tamed.max()) if tamed.size else 0.0)


def apply(blocks: MeterBlocks, plan: LevelerPlan) -> MeterBlocks:
    """The envelope as it will be after the leveler: what the limiter is planned on.

    Energy and peak of each 1 ms block scale with the block's gain (the gain moves little
    within a millisecond; the encoded file's check corrects what remains)."""
    g = plan.gain_db.astype(np.float64)
    energy = blocks.energy * 10.0 ** (g / 10.0)
    peaks = (blocks.true_peak * 10.0 ** (g / 20.0)).astype(np.float32)
    return replace(blocks, energy=energy, true_peak=peaks)
