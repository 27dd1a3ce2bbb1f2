"""Batch throughput: N copies of a short real clip, run with --jobs 1 and --jobs 2.

Prints, for each worker count, the audio minutes processed per wall minute (worker
start-up and model loading included, as in a real batch) and the speedup over one
worker measured in the same run. The transcript cache is off, so every copy is really
transcribed. Usage::

    python benchmarks/batch.py [--episodes 4] [--clip samples/compute-trends/narration.ogg]
                               [--jobs 1 2] [--model tiny.en]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from audio_pipeline.batch.runner import run_batch  # noqa: E402
from audio_pipeline.media.decoder import probe_duration  # noqa: E402
from audio_pipeline.metadata.config import load_config, with_overrides  # noqa: E402
from audio_pipeline.metadata.manifest import load_manifest  # noqa: E402

DEFAULT_CLIP = REPO / "samples" / "compute-trends" / "narration.ogg"
SPOKEN = ("Compute used to train machine learning systems has grown quickly. "
          "We study three eras of machine learning and the trends in each of them. ") * 3


def make_clip(folder: Path) -> Path:
    """A real recording if the repository has one, else espeak-ng speech."""
    if DEFAULT_CLIP.is_file():
        return DEFAULT_CLIP
    dest = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-s", "165", "-w", str(dest), SPOKEN], check=True)
    return dest


def make_manifest(folder: Path, clip: Path, episodes: int) -> Path:
    lines = []
    for n in range(1, episodes + 1):
        copy = folder / f"episode-{n}{clip.suffix}"
        shutil.copyfile(clip, copy)
        lines += ["[[episode]]", f'audio = "{copy.name}"', f'slug = "episode-{n}"',
                  f'title = "Benchmark episode {n}"', ""]
    path = folder / "manifest.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=4)
    parser.add_argument("--clip", type=Path, default=None)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--model", default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="batch-bench-") as tmp:
        folder = Path(tmp)
        clip = args.clip or make_clip(folder)
        manifest_path = make_manifest(folder, clip, args.episodes)
        config = with_overrides(load_config(), model=args.model)
        manifest = load_manifest(manifest_path, config)
        audio_minutes = args.episodes * probe_duration(clip) / 60
        print(f"{args.episodes} episodes x {probe_duration(clip):.1f} s of {clip.name} "
              f"({audio_minutes:.2f} audio min), model {config.model}")
        baseline = None
        print(f"{'jobs':>4}  {'wall s':>7}  {'audio min / wall min':>20}  {'speedup':>7}")
        for jobs in args.jobs:
            out = folder / f"out-{jobs}"
            began = time.perf_counter()
            report = run_batch(manifest, out, jobs=jobs, use_cache=False, force=True)
            wall = time.perf_counter() - began
            if not report.ok:
                failed = [(d["slug"], d["error"]) for d in report.episodes if d["error"]]
                raise SystemExit(f"episodes failed with --jobs {jobs}: {failed}")
            rate = audio_minutes / (wall / 60)
            baseline = baseline or rate
            print(f"{jobs:>4}  {wall:>7.1f}  {rate:>20.1f}  {rate / baseline:>6.2f}x")


if __name__ == "__main__":
    main()
