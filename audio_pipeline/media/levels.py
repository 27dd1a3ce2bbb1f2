"""Short-term level of a mono signal: the power of each fixed frame, in dB.

Several stages read a recording's level frame by frame (is there speech at all, is a
stretch without words quiet or voiced); this computes it in blocks, so an hour of
16 kHz audio never needs a float64 copy of the whole signal.
"""

from __future__ import annotations

import numpy as np

_BLOCK_FRAMES = 4096
FLOOR_DB = -120.0  # the level reported for digital silence (log of zero)


def frame_levels_db(x: np.ndarray, rate: int, frame_seconds: float) -> np.ndarray:
    """The mean power of each whole ``frame_seconds`` frame of ``x`` (1-D), in dB."""
    frame = max(1, int(frame_seconds * rate))
    n = x.shape[0] // frame
    power = np.empty(n, dtype=np.float64)
    for i in range(0, n, _BLOCK_FRAMES):
        part = x[i * frame:min(n, i + _BLOCK_FRAMES) * frame].astype(np.float64)
        power[i:i + _BLOCK_FRAMES] = np.mean(part.reshape(-1, frame) ** 2, axis=1)
    return 10.0 * np.log10(power + 10.0 ** (FLOOR_DB / 10.0))
