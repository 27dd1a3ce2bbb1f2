"""False flags and coverage on clean readings in six languages, minutes of them.

    .venv/bin/python benchmarks/languages.py [--languages fr,de] [--voices +m3,+f2] \
        [--speeds 140,170]

tests/test_languages_e2e.py reads each article of tests/fixtures/languages once, about
30 s with a defect planted, which says little about a rate per 5 minutes. Here each
article is read *without* defects by several espeak-ng voice variants at several speeds
(4 readings, about 2 minutes per language by default), and each reading goes through
``audio-pipeline process`` as a user runs it (nothing told about the language: the
bundled multilingual model takes over). On a clean reading every "to fix" issue is
false. Prints per language: minutes read, the language decided, coverage counting only
the words Whisper wrote and counting those the audio confirmed as well (align.confirm),
and false to-fix flags in all and per 5 minutes, with each one listed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "tests" / "fixtures" / "languages"
# the voice each language is read with (tests/test_languages_e2e.py says why for pt)
BASE_VOICE = {"pt": "pt-br"}


def read_article(code: str) -> str:
    from audio_pipeline.align.source import parse_source

    return " ".join(s.text for s in parse_source(FIXTURES / f"{code}.md", code).sentences)


def run_one(code: str, voice: str, speed: int, work: Path) -> dict:
    from click.testing import CliRunner

    from audio_pipeline.align.verdict import is_to_fix
    from audio_pipeline.cli import cli
    from audio_pipeline.types import NarrationIssue

    slug = f"{code}-{voice.replace('+', '-')}-{speed}"
    wav = work / f"{slug}.wav"
    subprocess.run(["espeak-ng", "-s", str(speed), "-v", voice, "-w", str(wav), "--",
                    read_article(code)], check=True, capture_output=True)
    result = CliRunner().invoke(cli, ["process", str(wav), "--source",
                                      str(FIXTURES / f"{code}.md"), "--title", slug,
                                      "--out", str(work / "out"), "--slug", slug])
    if result.exit_code != 0:
        raise SystemExit(f"{slug}: process failed:\n{result.output}")
    folder = work / "out" / slug
    summary = json.loads((folder / f"{slug}.result.json").read_text(encoding="utf-8"))
    alignment = json.loads((folder / f"{slug}.alignment.json").read_text(encoding="utf-8"))
    words = alignment["words"]
    return {
        "slug": slug,
        "minutes": summary["duration"] / 60,
        "language": summary.get("language"),
        "heard": sum(w["heard"] is not None for w in words),
        "confirmed": sum(w["heard"] is not None or w["confirmed"] for w in words),
        "words": len(words),
        "false": [f"{slug}: {i['type']} {i['expected']!r} heard {i['heard']!r} "
                  f"(conf {i['confidence']:.2f}, llr {i['llr']})"
                  for i in alignment["issues"] if is_to_fix(NarrationIssue(**i))],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--languages", default=",".join(sorted(p.stem for p in FIXTURES.glob("*.md"))))
    ap.add_argument("--voices", default="+m3,+f2", help="espeak-ng variants added to the voice")
    ap.add_argument("--speeds", default="140,170", help="words per minute")
    args = ap.parse_args()
    rows, listed = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for code in args.languages.split(","):
            runs = [run_one(code, BASE_VOICE.get(code, code) + variant, int(speed), Path(tmp))
                    for variant in args.voices.split(",") for speed in args.speeds.split(",")]
            minutes = sum(r["minutes"] for r in runs)
            total = sum(r["words"] for r in runs)
            false = [f for r in runs for f in r["false"]]
            langs = sorted({str(r["language"]) for r in runs})
            rows.append((code, len(runs), minutes, ",".join(langs),
                         sum(r["heard"] for r in runs) / total,
                         sum(r["confirmed"] for r in runs) / total,
                         len(false), len(false) / (minutes / 5)))
            listed += false
            print(f"{code}: done", file=sys.stderr)
    print("language  readings  minutes  decided  coverage heard  +confirmed  false  per 5 min")
    for code, n, minutes, langs, heard, confirmed, false, rate in rows:
        print(f"{code:8}  {n:8}  {minutes:7.2f}  {langs:7}  {heard:14.1%}  {confirmed:10.1%}"
              f"  {false:5}  {rate:9.2f}")
    for line in listed:
        print("  " + line)


if __name__ == "__main__":
    main()
