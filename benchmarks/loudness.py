"""Loudness normalization + MP3 encoding of a long episode, against ffmpeg-normalize.

    python benchmarks/loudness.py [--minutes 60] [--keep DIR] [--no-peer]

Builds a stereo 44.1 kHz 16-bit WAV of speech-like audio: espeak-ng utterances in
several voices, speeds and pitches, strung together with pauses, a level that wanders
+-4 dB, and a slightly different right channel. Then, timed in the same run:

  ours (file)     normalize_and_encode(Path): streamed from disk, 128 kb/s MP3
  ours (decoded)  media.decode + normalize_and_encode(Audio), as the pipeline does
  encode only     ffmpeg -c:a libmp3lame -b:a 128k: the floor any normalizer pays
  ffmpeg-normalize  -nt ebu -t -16 -tp -1 -c:a libmp3lame -b:a 128k (if installed)

Each output is judged by ffmpeg's ebur128 filter (integrated loudness, true peak).
Peak memory: the largest resident set in each run's process tree (RUSAGE_CHILDREN of a
wrapper process started for that run alone).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

RATE = 44100
LINES = [
    "Loudness normalization makes every episode sound equally loud.",
    "The narrator reads the article from the first heading to the last footnote.",
    "Peaks are held below the ceiling by a limiter that looks ahead.",
    "In the second part we compare three ways of measuring a signal.",
    "Whisper writes a transcript, and the aligner finds every sentence in the text.",
    "Numbers such as two thousand and twenty two are read out in words.",
    "Short questions? Long, winding answers with many clauses, commas and pauses.",
    "The podcast feed lists the chapters, the narrator and the original source.",
]
VOICES = ["en", "en-us", "en-gb-x-rp", "en+f3", "en+m3", "en-us+f2"]

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from audio_pipeline import loudness, media
src, dest, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
t0 = time.perf_counter()
audio = media.decode(src) if mode == "decoded" else src
t1 = time.perf_counter()
report = loudness.normalize_and_encode(audio, dest, preset="podcast")
t2 = time.perf_counter()
print(json.dumps({"decode_s": t1 - t0, "normalize_s": t2 - t1, "total_s": t2 - t0,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "gain_db": report.gain_db, "limiter_db": report.limiter_max_reduction_db,
                  "limiter_share": report.limiter_active_share,
                  "out_i": report.output.integrated, "out_tp": report.output.true_peak,
                  "warnings": report.warnings}))
"""


def utterances(tmp: Path) -> list[np.ndarray]:
    bank = []
    rng = np.random.default_rng(1)
    for i, line in enumerate(LINES * 2):
        wav = tmp / f"u{i}.wav"
        voice = VOICES[i % len(VOICES)]
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(rng.integers(140, 185)),
                        "-p", str(rng.integers(30, 70)), "-w", str(wav), line], check=True,
                       capture_output=True)
        data, rate = sf.read(wav, dtype="float64")
        bank.append(resample_poly(data, RATE // 22050, 1) if rate == 22050 else data)
    return bank


def make_episode(path: Path, minutes: float, tmp: Path) -> None:
    bank = utterances(tmp)
    rng = np.random.default_rng(7)
    total = int(minutes * 60 * RATE)
    written = 0
    level_db = 0.0
    with sf.SoundFile(path, "w", RATE, 2, subtype="PCM_16") as out:
        while written < total:
            level_db = float(np.clip(level_db + rng.normal(0, 0.8), -4, 4))
            speech = bank[rng.integers(len(bank))] * 0.25 * 10 ** (level_db / 20)
            pause = np.zeros(int(rng.uniform(0.15, 0.9) * RATE))
            mono = np.concatenate([speech, pause])
            noise = rng.normal(0, 10 ** (-62 / 20), (mono.shape[0], 2))
            right = np.roll(mono, 9) * 0.9
            block = np.stack([mono, right], axis=1) + noise
            block = block[: total - written]
            out.write(block.astype(np.float32))
            written += block.shape[0]


def referee(path: Path) -> dict[str, float]:
    err = subprocess.run(["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-af",
                          "ebur128=peak=true", "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stderr
    summary = err[err.rindex("Summary:"):]

    def value(label: str) -> float:
        return float(re.search(rf"{label}:\s+(-?[\d.]+|-inf)", summary).group(1))

    return {"I": value("I"), "TP": value("Peak"), "LRA": value("LRA")}


WRAPPER = (
    "import resource, subprocess, sys\n"
    "proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stdout.write(proc.stdout)\n"
    "sys.stderr.write(proc.stderr[-2000:])\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(proc.returncode)\n"
)


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """Wall time, peak RSS in MB (the largest process in the command's tree) and stdout.

    The command runs under a small wrapper process so RUSAGE_CHILDREN covers it alone.
    """
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True,
                          text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    lines = proc.stdout.strip().splitlines()
    return wall, int(lines[-1]) / 1024, "\n".join(lines[:-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--keep", type=Path, default=None, help="keep the files here")
    parser.add_argument("--no-peer", action="store_true", help="skip ffmpeg-normalize")
    args = parser.parse_args()
    for tool in ("ffmpeg", "espeak-ng"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed")
    work = Path(args.keep or tempfile.mkdtemp(prefix="loudness-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    src = work / "episode.wav"
    t0 = time.perf_counter()
    make_episode(src, args.minutes, work)
    os.sync()  # the first timed run must not share the disk with the input's write-back
    size_mb = src.stat().st_size / 1e6
    print(f"input: {args.minutes:g} min stereo 44.1 kHz 16-bit speech, {size_mb:.0f} MB "
          f"(made in {time.perf_counter() - t0:.0f} s); input {referee(src)}")

    rows = []
    for mode in ("file", "decoded"):
        dest = work / f"ours-{mode}.mp3"
        wall, rss, out = timed([sys.executable, "-c", CHILD, str(src), str(dest), mode])
        doc = json.loads(out.strip().splitlines()[-1])
        rows.append((f"ours ({mode})", wall, rss, dest, doc))

    floor = work / "encode-only.mp3"
    wall, rss, _ = timed(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-c:a",
                          "libmp3lame", "-b:a", "128k", str(floor)])
    rows.append(("encode only (ffmpeg)", wall, rss, floor, {}))

    peer = None if args.no_peer else shutil.which("ffmpeg-normalize") or shutil.which(
        "ffmpeg-normalize", path=str(Path(sys.executable).parent))
    if peer:
        dest = work / "ffmpeg-normalize.mp3"
        wall, rss, _ = timed([peer, str(src), "-nt", "ebu", "-t", "-16", "-tp", "-1",
                              "-c:a", "libmp3lame", "-b:a", "128k", "-ar", str(RATE),
                              "-o", str(dest), "-f"])
        rows.append(("ffmpeg-normalize", wall, rss, dest, {}))
    elif not args.no_peer:
        print("ffmpeg-normalize not installed: pip install ffmpeg-normalize to compare")

    floor_s = rows[2][1]
    print(f"\n{'run':<22}{'wall s':>8}{'x floor':>9}{'x realtime':>11}{'peak MB':>9}"
          f"{'I LUFS':>9}{'TP dBTP':>9}  target -16 / -1")
    for name, wall, rss, dest, _doc in rows:
        ref = referee(dest)
        ok = abs(ref["I"] + 16) <= 0.5 and ref["TP"] <= -1.0
        verdict = "ok" if ok else "MISS"
        rss_text = f"{rss:.0f}" if rss else "-"
        print(f"{name:<22}{wall:>8.1f}{wall / floor_s:>9.2f}"
              f"{args.minutes * 60 / wall:>11.0f}{rss_text:>9}{ref['I']:>9.1f}{ref['TP']:>9.1f}"
              f"  {verdict if name != 'encode only (ffmpeg)' else ''}")
    if peer:
        ratio = rows[0][1] / rows[3][1]
        print(f"\nours (file) / ffmpeg-normalize time: {ratio:.2f}")
    for name, _wall, _rss, _dest, doc in rows[:2]:
        print(f"{name}: decode {doc['decode_s']:.1f} s, normalize+encode+check "
              f"{doc['normalize_s']:.1f} s, gain {doc['gain_db']:+.1f} dB, limiter up to "
              f"{doc['limiter_db']:.1f} dB active {100 * doc['limiter_share']:.1f}% ; "
              f"warnings: {doc['warnings'] or 'none'}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
