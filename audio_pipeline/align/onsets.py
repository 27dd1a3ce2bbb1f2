"""Speech onsets read off the audio: where a word after a pause really starts.

Whisper's word times come from cross-attention and lag (or drift into) the silence before
a word by 0.05-0.5 s. A sentence after a pause almost always starts at a rising edge of
the signal's short-term energy, so the aligner asks ``SpeechOnsets`` for the rising edge
nearest Whisper's start and moves the word there. Energy, not a learned VAD: it needs no
weights, runs at ~1000x real time, and a narration's pauses are room tone, which a
noise-floor threshold tells from speech reliably.
"""

from __future__ import annotations

import numpy as np

FRAME = 0.010  # s between energy frames (the resolution of an onset)
WINDOW = 0.020  # s of audio in each frame
MIN_SILENCE = 0.06  # s of quiet before an edge for it to count as an onset
SEARCH_BEFORE = 0.6  # s before Whisper's start to look for the edge
SEARCH_AFTER = 0.35  # s after it
PAUSE_CAP = 0.4  # s: a longer quiet before an edge counts as no more of a pause
NEARNESS = 0.5  # s of quiet that 1 s of distance from Whisper's time is worth


class SpeechOnsets:
    """Rising edges of speech energy in 16 kHz (any rate) mono samples."""

    def __init__(self, samples: np.ndarray, rate: int):
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        hop, win = max(1, int(rate * FRAME)), max(1, int(rate * WINDOW))
        n = max(0, 1 + (len(x) - win) // hop)
        if n:
            frames = np.lib.stride_tricks.as_strided(
                x, shape=(n, win), strides=(x.strides[0] * hop, x.strides[0]), writeable=False)
            power = np.einsum("ij,ij->i", frames, frames, dtype=np.float64) / win
        else:
            power = np.zeros(0)
        self.db = 10.0 * np.log10(power + 1e-12)
        if n:
            floor, loud = np.percentile(self.db, 10), np.percentile(self.db, 90)
        else:
            floor, loud = -120.0, -120.0
        # Speech is what stands well above the room tone (8 dB: over hiss and breaths)
        # and within 30 dB of typical speech level (over codec pre-echo and the faint
        # start of a fricative that no listener hears as the word's start).
        self.threshold = max(floor + 8.0, loud - 30.0)
        self.samples, self.rate = x, rate
        self.usable = bool(n) and loud - floor >= 15.0  # else: no clear pauses to find

    def __call__(self, start: float, earliest: float = 0.0,
                 min_quiet: float = MIN_SILENCE) -> float | None:
        """The speech onset nearest ``start`` (not before ``earliest``) after at least
        ``min_quiet`` s of quiet, or None when the audio shows no such edge there (keep
        Whisper's time)."""
        if not self.usable:
            return None
        lo = max(0, int((max(earliest, start - SEARCH_BEFORE)) / FRAME))
        hi = min(len(self.db), int((start + SEARCH_AFTER) / FRAME) + 1)
        if hi - lo < 2:
            return None
        loud = self.db[lo:hi] >= self.threshold
        need = max(1, int(round(min_quiet / FRAME)))
        edges: list[tuple[int, int]] = []  # (frame, quiet frames before it)
        quiet = 0
        # frames before the window count towards the silence that precedes an edge
        for k in range(max(0, lo - need), lo):
            quiet = 0 if self.db[k] >= self.threshold else quiet + 1
        for k, is_loud in enumerate(loud):
            if is_loud:
                if quiet >= need:
                    edges.append((lo + k, quiet))
                quiet = 0
            else:
                quiet += 1
        if not edges:
            return None
        # A sentence starts after a pause, a stop consonant after a closure of 50-150 ms:
        # the edge after the longest quiet wins, nearness to Whisper's time breaks ties.
        def score(edge: tuple[int, int]) -> float:
            frame, quiet_frames = edge
            return min(quiet_frames * FRAME, PAUSE_CAP) - NEARNESS * abs(frame * FRAME - start)

        best = max(edges, key=score)[0]
        return self._first_sample(best)

    def voiced_fraction(self, start: float, end: float) -> float | None:
        """The share of [start, end] at speech level (above the onset threshold), or None
        when the audio shows no clear pauses to tell speech from."""
        lo, hi = max(0, int(start / FRAME)), min(len(self.db), int(end / FRAME))
        if not self.usable or hi <= lo:
            return None
        return float(np.mean(self.db[lo:hi] >= self.threshold))

    def _first_sample(self, frame: int) -> float:
        """The first sample above the threshold's amplitude in the edge frame: the onset
        to the sample, not to the frame."""
        hop, win = int(self.rate * FRAME), int(self.rate * WINDOW)
        lo = max(0, frame * hop - hop)
        chunk = np.abs(self.samples[lo: frame * hop + win])
        above = np.flatnonzero(chunk >= 10.0 ** (self.threshold / 20.0))
        return (lo + int(above[0])) / self.rate if above.size else frame * FRAME
