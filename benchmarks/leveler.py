"""The leveler on the hard recordings, judged by ffmpeg's ebur128 on the encoded MP3.

    python benchmarks/leveler.py

For each recording of tests/hard_inputs.py (clicks on a quiet narrator, loud breaths, a
whispered passage next to a loud one, 20 dB of drift) and for ordinary speech, the
podcast preset (-16 LUFS, -1 dBTP, 128 kb/s) is run with ``leveler=False`` (the plain
gain and limiter) and with the leveler, in the same run. Printed per case: the
referee's integrated loudness, true peak and LRA of each MP3, and the leveler's figures.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hard_inputs import HARD, RATE  # noqa: E402
from test_loudness import ffmpeg_ebur128, speech  # noqa: E402

from audio_pipeline.loudness.normalizer import normalize_and_encode  # noqa: E402
from audio_pipeline.types import Audio  # noqa: E402


def main() -> None:
    cases = {**HARD, "ordinary": lambda: speech(RATE, 1, seconds=24.0, lufs=-24.0)}
    print(f"{'input':10} {'path':8} {'I LUFS':>7} {'TP dBTP':>8} {'LRA':>5} {'limit dB':>8} "
          f"{'lev +/- dB':>11} {'s':>5}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in cases.items():
            audio = Audio(make(), RATE)
            for lev in (False, True):
                mp3 = Path(tmp) / f"{name}-{lev}.mp3"
                began = time.perf_counter()
                rep = normalize_and_encode(audio, mp3, preset="podcast", leveler=lev)
                took = time.perf_counter() - began
                ref = ffmpeg_ebur128(mp3)
                print(f"{name:10} {'leveler' if lev else 'plain':8} {ref['I']:7.1f} "
                      f"{ref['Peak']:8.2f} {ref['LRA']:5.1f} "
                      f"{rep.limiter_max_reduction_db:8.1f} "
                      f"{rep.leveler_max_boost_db:5.1f}/{rep.leveler_max_cut_db:<5.1f} "
                      f"{took:5.2f}")


if __name__ == "__main__":
    main()
