"""Streaming ITU-R BS.1770-4 meter: K-weighted energy and true peak per millisecond.

Everything the loudness stage needs (integrated loudness with gating, EBU Tech 3342 LRA,
the short-term curve, and the limiter's peak envelope) is derived from two arrays with
one value per 1 ms block, so a 60-minute file is measured in bounded memory, block by
block, and the limiter can be re-planned without touching the samples again.

The K-weighting biquads are pyloudnorm's "DeMan" coefficients, which reproduce the
BS.1770 tables (pyloudnorm's default RBJ design reads about 0.05 LU low against ffmpeg).
True peak is BS.1770-4 Annex 2: oversampling (scipy's resample_poly Kaiser FIR, run as
a polyphase float32 matrix product) and the maximum absolute value; 4x from 44.1 kHz
up, more below so the oversampled rate stays at 176.4 kHz or above (4x of 8 kHz
under-reads peaks near Nyquist by up to 0.7 dB, and ffmpeg's ebur128 always works at
192 kHz).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from pyloudnorm.iirfilter import IIRfilter
from scipy.signal import firwin, sosfilt

_OVERSAMPLE = 4
_PEAK_RATE = 176400  # minimum oversampled rate for true peak
_PAD = 16  # input samples of context each side of a segment (the FIR spans +-10)
_HALF = 10  # FIR half length in input samples (scipy's resample_poly default)
_ROW = 16  # output frames per matrix row in the polyphase product
_SUB = 1 << 15  # frames per polyphase product: keeps the matrices in cache
_BATCH = 128  # matrix rows per BLAS call: small enough for OpenBLAS to stay single-threaded
_CLIP_LEVEL = 0.999


def block_bounds(k: np.ndarray | int, rate: int) -> np.ndarray:
    """Start frame of 1 ms block ``k``: round(k * rate / 1000), exact in integers.

    Every 100th bound is a 100 ms gating step, so the gating blocks are sums of
    whole millisecond blocks even at rates such as 11025 Hz.
    """
    k = np.asarray(k, dtype=np.int64)
    return (2 * k * rate + 1000) // 2000


def channel_weights(channels: int, dual_mono: bool = False) -> np.ndarray:
    """BS.1770 channel weights for the usual WAV channel orders.

    1-3 channels: 1.0 each (L R C); 4: L R Ls Rs; 5: L R C Ls Rs; 6: 5.1 with the LFE
    left out; more: 1.0 each. A mono signal measured as dual-mono counts twice (+3 dB),
    as if played on both loudspeakers.
    """
    table = {
        1: [2.0 if dual_mono else 1.0],
        2: [1.0, 1.0],
        3: [1.0, 1.0, 1.0],
        4: [1.0, 1.0, 1.41, 1.41],
        5: [1.0, 1.0, 1.0, 1.41, 1.41],
        6: [1.0, 1.0, 1.0, 0.0, 1.41, 1.41],
    }
    return np.array(table.get(channels, [1.0] * channels), dtype=np.float64)


def k_weighting_sos(rate: int) -> np.ndarray:
    stages = [IIRfilter(3.99984385397, 0.7071752369554193, 1681.9744509555319, rate,
                        "high_shelf_DeMan"),
              IIRfilter(0.0, 0.5003270373253953, 38.13547087613982, rate, "high_pass_DeMan")]
    return np.array([np.concatenate([f.b, f.a]) for f in stages], dtype=np.float64)


@dataclass
class MeterBlocks:
    """Per-millisecond results of one pass over a signal."""

    rate: int
    frames: int
    energy: np.ndarray  # float64: sum over channels of weight * K-weighted sample^2
    true_peak: np.ndarray  # float32: max |x| over channels, oversampled
    complete: int  # number of whole 1 ms blocks (a trailing partial one may follow)
    sample_peak: float
    clipped_samples: int
    channel_sums: np.ndarray | None = None  # float64 per channel: the DC offset's numerator


_ONES = np.ones(1 << 12, dtype=np.float32)


def _column_sums(x: np.ndarray) -> np.ndarray:
    """Per-channel float64 sums: float32 products of 4096 frames (single-threaded BLAS,
    ~50x faster than a strided reduction), added up in float64."""
    whole = x.shape[0] // _ONES.shape[0] * _ONES.shape[0]
    parts = _ONES @ x[:whole].reshape(-1, _ONES.shape[0], x.shape[1])
    return parts.sum(axis=0, dtype=np.float64) + x[whole:].sum(axis=0, dtype=np.float64)


@functools.cache
def _helper() -> ThreadPoolExecutor:
    """One worker thread shared by the meters (created on first use)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="meter")


class Oversampler:
    """BS.1770-4 Annex 2 true peak per input frame: the largest |value| of the frame and
    the ``factor - 1`` points interpolated after it (scipy's resample_poly filter).

    The polyphase FIR runs as one float32 matrix product per segment (rows of ``_ROW``
    output frames against a banded matrix holding every phase), several times faster
    than ``resample_poly`` and equal to it within float32 rounding.
    """

    def __init__(self, rate: int) -> None:
        self.factor = max(_OVERSAMPLE, -(-_PEAK_RATE // int(rate)))
        up = self.factor
        h = firwin(2 * _HALF * up + 1, 1.0 / up, window=("kaiser", 5.0)) * up
        # Phase 0 is the frame itself: its other taps fall on the sinc's zeros.
        self.centre = np.float32(h[_HALF * up])
        width = _ROW + 2 * _HALF
        band = np.zeros((width, (up - 1) * _ROW), dtype=np.float64)
        for p in range(1, up):
            taps = h[p::up]  # value at n + p/up = sum_i taps[i] * x[n + _HALF - i]
            for c in range(_ROW):
                for i, tap in enumerate(taps):
                    band[c + 2 * _HALF - i, (p - 1) * _ROW + c] = tap
        self.band = band.astype(np.float32)
        # |interpolated| <= this times the largest |x| within _HALF frames
        self.gain_bound = float(max(np.abs(h[p::up]).sum() for p in range(up)))

    def peaks(self, seg: np.ndarray, floor: float | None = None) -> np.ndarray:
        """Per-frame true peak (max over channels) of ``seg[_PAD:-_PAD]``.

        With ``floor``, rows of frames whose bound stays below it keep their sample
        value (a lower bound): the maximum over the segment is exact whenever it
        reaches ``floor``, at a fraction of the cost.
        """
        n = seg.shape[0] - 2 * _PAD
        out = np.zeros(n, dtype=np.float32)
        for s in range(0, n, _SUB):
            m = min(_SUB, n - s)
            part = seg[s + _PAD - _HALF: s + _PAD + m + _HALF]
            np.maximum(out[s:s + m], self._peaks_part(part, m, floor), out=out[s:s + m])
        return out

    def _peaks_part(self, part: np.ndarray, m: int, floor: float | None) -> np.ndarray:
        rows = -(-m // _ROW)
        width = _ROW + 2 * _HALF
        best = np.zeros(rows * _ROW, dtype=np.float32)
        padded = np.zeros((rows + 2) * _ROW, dtype=np.float32)
        for c in range(part.shape[1]):
            padded[: part.shape[0]] = part[:, c]
            padded[part.shape[0]:] = 0.0
            frames = np.abs(padded[_HALF:_HALF + rows * _ROW])
            frames *= self.centre
            np.maximum(best, frames, out=best)
            view = np.lib.stride_tricks.as_strided(
                padded, shape=(rows, width), strides=(_ROW * 4, 4), writeable=False)
            picked = None
            if floor is not None:
                mag = np.abs(padded).reshape(rows + 2, _ROW).max(axis=1)
                bound = np.maximum(np.maximum(mag[:-2], mag[1:-1]), mag[2:]) * self.gain_bound
                picked = np.flatnonzero(bound >= floor)
                if picked.size == 0:
                    continue
            count = rows if picked is None else picked.size
            matrix = np.zeros((-(-count // _BATCH) * _BATCH, width), dtype=np.float32)
            matrix[:count] = view if picked is None else view[picked]
            # Many small products, not one large one: OpenBLAS runs each on one thread,
            # and its thread pool collapses when ffmpeg and our threads hold the cores.
            prod = (matrix.reshape(-1, _BATCH, width) @ self.band).reshape(
                matrix.shape[0], -1)[:count]
            np.abs(prod, out=prod)
            top = prod[:, :_ROW]
            for p in range(1, self.factor - 1):
                np.maximum(top, prod[:, p * _ROW:(p + 1) * _ROW], out=top)
            grid = best.reshape(rows, _ROW)
            if picked is None:
                np.maximum(grid, top, out=grid)
            else:
                grid[picked] = np.maximum(grid[picked], top)
        return best[:m]


class StreamMeter:
    """Feed (frames, channels) float32 blocks in order; ``finish`` returns MeterBlocks.

    ``offset`` (per channel) is subtracted first: the DC removal the renderer applies.
    ``peak_max_only``: only the overall true peak is wanted (a check of a finished
    file), so the per-block true peaks are exact only where they can be the maximum.
    K-weighting runs in float32 (within 0.001 dB of float64 on 100 ms blocks).
    """

    def __init__(self, rate: int, channels: int, *, dual_mono: bool = False,
                 offset: np.ndarray | None = None, peak_max_only: bool = False) -> None:
        self.rate = int(rate)
        self.channels = int(channels)
        self.weights = channel_weights(channels, dual_mono).astype(np.float32)
        self.offset = None if offset is None else np.asarray(offset, np.float32)
        self.sos = k_weighting_sos(self.rate).astype(np.float32)
        self.peaks = Oversampler(self.rate)
        self.oversample = self.peaks.factor
        self.peak_max_only = peak_max_only
        self.zi = np.zeros((self.sos.shape[0], 2, channels), dtype=np.float32)
        self.tail = np.zeros((2 * _PAD, channels), dtype=np.float32)
        self.frames = 0
        self.sample_peak = 0.0
        self.true_peak_max = 0.0
        self.clipped = 0
        self.sums = np.zeros(channels)
        self._e_parts: list[np.ndarray] = []
        self._t_parts: list[np.ndarray] = []
        self._pend_e = np.zeros(0, dtype=np.float32)  # per-frame energy from self._e0 on
        self._pend_t = np.zeros(0, dtype=np.float32)  # per-frame true peak from self._t0
        self._e0 = 0
        self._t0 = -_PAD  # the first segment's interior starts _PAD frames early
        self._next_block = 0

    def feed(self, block: np.ndarray) -> None:
        x = np.asarray(block, dtype=np.float32)
        if x.ndim == 1:
            x = x[:, None]
        if x.shape[0] == 0:
            return
        if self.offset is not None:
            x = x - self.offset
        # float32 BLAS sums per block, float64 across blocks: ample for a DC estimate
        self.sums += _column_sums(x)
        peak = max(float(x.max()), -float(x.min()))
        self.sample_peak = max(self.sample_peak, peak)
        if peak >= _CLIP_LEVEL:
            self.clipped += int(np.count_nonzero(np.abs(x) >= _CLIP_LEVEL))
        # sosfilt holds the GIL while the true-peak product (BLAS, numpy) mostly does
        # not: run them side by side, the second core is otherwise idle here.
        pending = _helper().submit(self._push_peaks, np.concatenate([self.tail, x]), peak)
        y, self.zi = sosfilt(self.sos, x, axis=0, zi=self.zi)
        y *= y
        energy = np.zeros(y.shape[0], dtype=np.float32)
        for c, weight in enumerate(self.weights):
            if weight:
                energy += y[:, c] * weight
        self._pend_e = np.concatenate([self._pend_e, energy])
        pending.result()
        self.frames += x.shape[0]
        self._reduce(final=False)

    def _push_peaks(self, seg: np.ndarray, seg_peak: float = 0.0) -> None:
        floor = None
        if self.peak_max_only:
            # Nothing below the largest peak already known can be the maximum.
            floor = max(self.true_peak_max, seg_peak * float(self.peaks.centre))
        tp = self.peaks.peaks(seg, floor)
        if floor is not None and tp.size:
            self.true_peak_max = max(self.true_peak_max, float(tp.max()))
        self._pend_t = np.concatenate([self._pend_t, tp])
        self.tail = seg[-2 * _PAD:].copy()

    def _reduce(self, final: bool) -> None:
        if self._t0 < 0:  # drop the frames before 0 that the first segment covered
            drop = min(-self._t0, self._pend_t.shape[0])
            self._pend_t = self._pend_t[drop:]
            self._t0 += drop
            if self._t0 < 0:
                return
        avail = min(self._e0 + self._pend_e.shape[0], self._t0 + self._pend_t.shape[0])
        if final:
            avail = self.frames
        k_hi = int(avail * 1000 // self.rate) + 2
        bounds = block_bounds(np.arange(self._next_block, k_hi + 1), self.rate)
        bounds = bounds[bounds <= avail]
        if final and (bounds.size == 0 or bounds[-1] < avail):
            bounds = np.append(bounds, avail)  # the trailing partial block
        if bounds.size < 2:
            return
        rel = bounds - self._e0
        self._e_parts.append(np.add.reduceat(self._pend_e[: rel[-1]], rel[:-1],
                                             dtype=np.float64))
        self._t_parts.append(np.maximum.reduceat(self._pend_t[: rel[-1]], rel[:-1]))
        self._pend_e = self._pend_e[rel[-1]:]
        self._pend_t = self._pend_t[rel[-1]:]
        self._e0 = self._t0 = int(bounds[-1])
        self._next_block += bounds.size - 1

    def finish(self) -> MeterBlocks:
        complete = int(np.searchsorted(block_bounds(np.arange(self.frames * 1000 // self.rate
                                                               + 3), self.rate),
                                       self.frames, side="right")) - 1
        if self.frames:
            # Flush the true-peak delay line with silence after the last frame.
            self._push_peaks(np.concatenate([self.tail, np.zeros_like(self.tail)]))
            self._pend_t = self._pend_t[: self.frames - self._t0]
            self._reduce(final=True)
        energy = np.concatenate(self._e_parts) if self._e_parts else np.zeros(0)
        peaks = np.concatenate(self._t_parts) if self._t_parts else np.zeros(0, np.float32)
        return MeterBlocks(self.rate, self.frames, energy, peaks, complete,
                           self.sample_peak, self.clipped, self.sums.copy())


def measure_blocks(samples: np.ndarray, rate: int, *, dual_mono: bool = False,
                   offset: np.ndarray | None = None, chunk: int = 1 << 18) -> MeterBlocks:
    x = samples if samples.ndim == 2 else samples[:, None]
    return measure_iter((x[s:s + chunk] for s in range(0, x.shape[0], chunk)), rate,
                        x.shape[1], dual_mono=dual_mono, offset=offset)


def measure_iter(blocks: Iterable[np.ndarray], rate: int, channels: int, *,
                 dual_mono: bool = False, offset: np.ndarray | None = None,
                 peak_max_only: bool = False) -> MeterBlocks:
    meter = StreamMeter(rate, channels, dual_mono=dual_mono, offset=offset,
                        peak_max_only=peak_max_only)
    for block in blocks:
        meter.feed(block)
    return meter.finish()


# --------------------------------------------------------------------------- gating


def quarters(energy: np.ndarray, complete: int) -> np.ndarray:
    """Energy sums of the whole 100 ms steps (100 blocks of 1 ms each)."""
    n = complete // 100
    return energy[: n * 100].reshape(n, 100).sum(axis=1)


def _loudness(mean_square: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return -0.691 + 10.0 * np.log10(mean_square)


def integrated(q: np.ndarray, rate: int) -> float:
    """BS.1770-4 gated loudness of 400 ms blocks overlapping by 75 %."""
    if q.shape[0] < 4:
        return float("-inf")
    z = (q[:-3] + q[1:-2] + q[2:-1] + q[3:]) / (0.4 * rate)
    lk = _loudness(z)
    above = z[lk >= -70.0]
    if above.size == 0:
        return float("-inf")
    gate = float(_loudness(np.array([above.mean()]))[0]) - 10.0
    kept = z[(lk > gate) & (lk > -70.0)]
    if kept.size == 0:
        return float("-inf")
    return float(_loudness(np.array([kept.mean()]))[0])


def short_term(q: np.ndarray, rate: int, step_quarters: int) -> np.ndarray:
    """Loudness of 3 s windows every ``step_quarters`` x 100 ms (ungated)."""
    if q.shape[0] < 30:
        return np.zeros(0)
    c = np.concatenate([[0.0], np.cumsum(q)])
    starts = np.arange(0, q.shape[0] - 30 + 1, step_quarters)
    return _loudness((c[starts + 30] - c[starts]) / (3.0 * rate))


def loudness_range(q: np.ndarray, rate: int) -> float:
    """EBU Tech 3342: 3 s windows at 10 Hz, gated at -70 LUFS and -20 LU, 10th-95th pct."""
    st = short_term(q, rate, 1)
    st = st[st >= -70.0]
    if st.size == 0:
        return 0.0
    gate = 10.0 * np.log10(np.mean(10.0 ** (st / 10.0))) - 20.0
    st = st[st >= gate]
    if st.size == 0:
        return 0.0
    lo, hi = np.percentile(st, [10, 95])
    return float(hi - lo)
