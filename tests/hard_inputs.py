"""Hard recordings for the leveler, made from espeak-ng speech with numpy (20-30 s each).

Each is what a new user brings and a plain gain plus limiter cannot level: the loudness
that BS.1770 gating sees is not the narrator's (clicks, breaths), or the narrator's level
moves (a whispered passage, a drift across the file).
"""

from __future__ import annotations

import numpy as np
from test_loudness import speech

RATE = 44100


def _at(x: np.ndarray, db: float) -> np.ndarray:
    return (x * np.float32(10.0 ** (db / 20.0))).astype(np.float32)


def clicks(rate: int = RATE, seconds: float = 24.0) -> np.ndarray:
    """A quiet narrator (-42 LUFS) with a near-full-scale plosive every 3 s: an 80 ms
    thump, whose energy outweighs the speech in BS.1770's gate (the plain path misses)."""
    x = speech(rate, 1, seconds=seconds, lufs=-42.0)[:, 0].astype(np.float64)
    n = int(0.08 * rate)
    t = np.arange(n) / rate
    click = 0.97 * np.sin(2 * np.pi * 60 * t) * np.exp(-t / 0.03)
    for pos in np.arange(int(1.3 * rate), x.shape[0] - n, int(3.0 * rate)):
        x[pos:pos + n] += click
    return np.clip(x, -1, 1).astype(np.float32)[:, None]


def breaths(rate: int = RATE, seconds: float = 24.0) -> np.ndarray:
    """A quiet narrator (-38 LUFS) with a loud breath (0.45 s of shaped noise, about
    12 dB over the speech) every 4 s."""
    x = speech(rate, 1, seconds=seconds, lufs=-38.0)[:, 0].astype(np.float64)
    rng = np.random.default_rng(3)
    n = int(0.45 * rate)
    noise = np.cumsum(rng.standard_normal(n)) * 0.02  # brown-ish: breaths are low-heavy
    noise = (noise - np.convolve(noise, np.ones(64) / 64, mode="same")) * np.hanning(n)
    noise *= 0.25 / np.max(np.abs(noise))
    for pos in np.arange(int(2.0 * rate), x.shape[0] - n, int(4.0 * rate)):
        x[pos:pos + n] += noise
    return np.clip(x, -1, 1).astype(np.float32)[:, None]


def whisper(rate: int = RATE, seconds: float = 24.0) -> np.ndarray:
    """A loud passage (-14 LUFS) and a whispered one 24 dB quieter, alternating every 6 s."""
    x = speech(rate, 1, seconds=seconds, lufs=-14.0)[:, 0]
    step = int(6.0 * rate)
    for start in range(step, x.shape[0], 2 * step):
        x[start:start + step] = _at(x[start:start + step], -24.0)
    return x.astype(np.float32)[:, None]


def drift(rate: int = RATE, seconds: float = 30.0) -> np.ndarray:
    """A narrator whose level falls 20 dB from the first second to the last."""
    x = speech(rate, 1, seconds=seconds, lufs=-24.0)[:, 0].astype(np.float64)
    ramp_db = np.linspace(0.0, -20.0, x.shape[0])
    return (x * 10.0 ** (ramp_db / 20.0)).astype(np.float32)[:, None]


HARD = {"clicks": clicks, "breaths": breaths, "whisper": whisper, "drift": drift}
