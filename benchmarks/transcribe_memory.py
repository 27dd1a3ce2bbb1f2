"""Peak memory of the part of transcription that grows with the recording, whole or in pieces.

    .venv/bin/python benchmarks/transcribe_memory.py [--hours 3]

Both engines compute the log-mel spectrogram of all the audio they are given before their
first window; that is what grows with the length (decoding itself works window by window).
For each engine this runs, in a fresh process each, the engine's own feature extraction over
``--hours`` of 16 kHz audio given whole (what a single ``transcribe`` call does) and given in
the pieces ``audio_pipeline.transcribe.whisper_input.chunk_bounds`` cuts (what the pipeline
does), and prints the peak RSS beyond the samples themselves, and the ratio of the two.
The samples (230 MB an hour) are held once either way.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

CHILD = """
import resource, sys, numpy as np
from audio_pipeline.transcribe.whisper_input import WHISPER_RATE, chunk_bounds
engine, hours, pieces = sys.argv[1], float(sys.argv[2]), sys.argv[3] == "pieces"
rng = np.random.default_rng(0)
audio = rng.standard_normal(int(hours * 3600 * WHISPER_RATE), dtype=np.float32)
audio *= 0.05  # in place: no float64 copy to raise the baseline's high-water mark
if engine == "faster-whisper":
    from faster_whisper.feature_extractor import FeatureExtractor
    extract = FeatureExtractor(feature_size=80)
    run = lambda a: extract(a, chunk_length=30)
else:
    import torch, whisper
    run = lambda a: whisper.log_mel_spectrogram(torch.from_numpy(a), 80, padding=480000)
run(audio[: 30 * WHISPER_RATE])  # libraries loaded and warm before the baseline
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for start, end in chunk_bounds(audio) if pieces else [(0, audio.size)]:
    features = run(audio[start:end])
    del features
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024)
"""


def peak_mb(engine: str, hours: float, mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", CHILD, engine, str(hours), mode],
                         check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=3.0)
    args = ap.parse_args()
    print(f"{args.hours:g} h of audio; MB beyond the samples ({args.hours * 230:.0f} MB)")
    print(f"{'engine':16} {'whole':>8} {'pieces':>8} {'pieces/whole':>12}")
    for engine in ("openai-whisper", "faster-whisper"):
        whole, pieces = peak_mb(engine, args.hours, "whole"), peak_mb(engine, args.hours,
                                                                      "pieces")
        print(f"{engine:16} {whole:8.0f} {pieces:8.0f} {pieces / whole:12.2f}")


if __name__ == "__main__":
    main()
