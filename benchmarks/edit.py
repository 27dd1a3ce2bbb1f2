"""The edit list and the edited episode on a narration with known retakes and long pauses,
proved by re-alignment: the edited MP3 goes through `process` again with the same article.

    .venv/bin/python benchmarks/edit.py [--fixture DIR] [--out DIR]   # about 2 transcriptions

``DIR`` holds ``<name>.mp3``, ``article.md``, ``<name>.truth.json`` (benchmarks/
long_narration.py or tests/fixtures/align/make_fixtures.py); default: the 16-minute
narration of benchmarks/fidelity.py in the cache. Prints: cuts made by reason against the
truth's retakes and long pauses (a cut matches a truth issue it overlaps), minutes
removed, and for the re-alignment: retakes and long pauses left, coverage before and
after, article words heard before and unheard after, |mapped time - re-aligned time| of
sentence and word starts (median, 95th percentile, max), and the largest sample step at
a join over the 99th percentile of steps in the edited audio (a click is well over 1).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _process(audio: Path, article: Path, out: Path, *extra: str) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "audio_pipeline", "process", str(audio), "--source",
                    str(article), "--title", "Long", "--out", str(out), *extra], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def _stats(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(values):.3f} s, p95 {p95:.3f} s, max {max(values):.3f} s"


def main(argv: list[str]) -> int:
    from audio_pipeline.cache import default_cache_dir
    from audio_pipeline.edit.timemap import TimeMap
    from audio_pipeline.media.decoder import decode

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixture", type=Path, default=default_cache_dir() / "fidelity" / "long")
    ap.add_argument("--out", type=Path, default=None, help="default: a temporary folder")
    args = ap.parse_args(argv)
    args.out = args.out or Path(tempfile.mkdtemp(prefix="edit-bench-"))
    mp3 = next(args.fixture.glob("*.mp3"))
    article = args.fixture / "article.md"
    truth = json.loads(next(args.fixture.glob("*.truth.json")).read_text("utf-8"))
    first_s = _process(mp3, article, args.out / "first", "--edit", "--slug", "long")
    folder = args.out / "first" / "long"
    again_s = _process(folder / "long.edited.mp3", article, args.out / "again", "--slug", "long")
    again = args.out / "again" / "long"

    edits = json.loads((folder / "long.edits.json").read_text("utf-8"))
    rendered = json.loads((folder / "long.edited.json").read_text("utf-8"))["edits"]
    before = json.loads((folder / "long.alignment.json").read_text("utf-8"))
    after = json.loads((again / "long.alignment.json").read_text("utf-8"))
    tmap = TimeMap.of(rendered["cuts"])
    kinds = {"retake": "repeated", "long_pause": "long_pause", "inserted": "inserted"}
    print(f"{mp3}: {truth['duration'] / 60:.1f} min; process --edit {first_s:.0f} s, "
          f"the edited MP3 again {again_s:.0f} s")
    for reason, kind in kinds.items():
        cuts = [c for c in edits["cuts"] if c["reason"] == reason]
        truths = [t for t in truth["issues"] if t["type"] == kind]
        hit = [t for t in truths if any(c["start"] < t["end"] and t["start"] < c["end"]
                                        for c in cuts)]
        false = [c for c in cuts if not any(c["start"] < t["end"] and t["start"] < c["end"]
                                            for t in truths)]
        print(f"  {reason}: {len(cuts)} cuts; {len(hit)} of {len(truths)} true {kind}, "
              f"{len(false)} cut(s) on no true {kind}")
    print(f"  removed {rendered['removed']:.1f} s = {rendered['removed'] / 60:.2f} min "
          f"of {truth['duration'] / 60:.1f} min, {len(rendered['cuts'])} cuts")
    left = [i for i in after["issues"] if i["type"] in ("repeated", "long_pause")
            and i["confidence"] >= 0.5]
    print(f"re-alignment: retakes/long pauses left to fix: {len(left)} "
          f"{[(i['type'], i['start']) for i in left]}")
    print(f"  coverage {before['coverage']:.4f} -> {after['coverage']:.4f}; to-fix issues "
          f"{sum(i['confidence'] >= 0.5 for i in before['issues'])} -> "
          f"{sum(i['confidence'] >= 0.5 for i in after['issues'])}")
    pairs = list(zip(before["words"], after["words"], strict=True))
    lost = [w["text"] for w, v in pairs if w["heard"] is not None and v["heard"] is None]
    print(f"  article words heard before and unheard after: {len(lost)} of "
          f"{sum(w['heard'] is not None for w, _ in pairs)} {lost[:10]}")
    sent = [abs(tmap(s["start"]) - t["start"])
            for s, t in zip(before["sentences"], after["sentences"], strict=True)
            if s["start"] is not None and t["start"] is not None]
    words = [abs(tmap(w["start"]) - v["start"]) for w, v in pairs
             if w["start"] is not None and v["start"] is not None]
    print(f"  sentence starts ({len(sent)}): {_stats(sent)}; within 0.1 s: "
          f"{sum(d <= 0.1 for d in sent) / max(1, len(sent)):.1%}")
    print(f"  word starts ({len(words)}): {_stats(words)}; within 0.1 s: "
          f"{sum(d <= 0.1 for d in words) / max(1, len(words)):.1%}")
    audio = decode(folder / "long.edited.mp3")
    x = audio.samples.mean(axis=1)
    typical = float(np.percentile(np.abs(np.diff(x)), 99))
    radius = int(0.02 * audio.sample_rate)
    steps = []
    for s in tmap.starts:
        at = int(round(tmap(s) * audio.sample_rate))
        steps.append(float(np.abs(np.diff(x[max(0, at - radius): at + radius])).max()))
    print(f"  largest step at a join / p99 step: {max(steps, default=0.0) / typical:.2f}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main(sys.argv[1:]))
