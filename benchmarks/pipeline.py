"""The whole pipeline's speed against the plain whisper CLI, measured in one run.

    .venv/bin/python benchmarks/pipeline.py [--work DIR] [--long] [--minutes M] [--model tiny.en]
        [--runs cli,openai-whisper,faster-whisper,vad,alone] [--long-runs ...]

Makes a narration of about 10 minutes (``--long``: also 60 minutes) with espeak-ng from
the Millbrook article of benchmarks/long_narration.py (sections in turn, voices varied,
the article repeated as "part 2", "part 3" when more audio is wanted, 1-12 s pauses),
cached under --work (default ~/.cache/audio-pipeline-bench). Then, in one run, on each
narration:

- ``whisper AUDIO --model CKPT --word_timestamps True --output_format all`` (what a user
  runs today; CKPT from ``audio-pipeline models export``), the peer;
- ``audio-pipeline process`` with the article (every stage, the narration checks too),
  once per engine, and faster-whisper with ``--vad``;
- faster-whisper's own ``WhisperModel.transcribe`` alone, with the settings the pipeline
  uses (float32 on a CPU, greedy, word timestamps; int8 too, for reference), model load
  and decode included. ``/fw alone`` is the ratio to the float32 one.

Each prints wall time, real-time factor (wall / audio), the ratio to the CLI, CPU time
(user + system) and its ratios, peak memory (the child's maximum RSS, from wait4) and,
for ``process``, each stage's share of the wall time (from its result.json). Every
command runs as a separate process, one at a time, with no transcript cache. On a shared
machine the absolute times are noisy; the ratios are taken within one run, and the
CPU-time ratios are the steadier ones. ``--runs`` (``--long-runs`` for the 60 minutes)
times only some: a ratio whose peer was not run prints as ``-``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import long_narration as text  # noqa: E402 - the article and its pronunciation

RATE = 22050
PAUSES = (0.7, 1.2, 0.9, 1.5)  # s between paragraphs, in turn
LONG_PAUSES = (6.0, 9.0, 12.0)  # s after every third section, in turn: something to skip
BIN = Path(sys.executable).parent


@dataclass
class Run:
    name: str
    wall: float
    cpu: float  # user + system seconds of the child: less disturbed by a busy machine
    peak_mb: float
    stages: dict[str, float] = field(default_factory=dict)


def speak(words: str, voice: str, speed: int, tmp: Path) -> np.ndarray:
    wav = tmp / "chunk.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), words],
                   check=True, capture_output=True)
    data, rate = sf.read(wav, dtype="float32")
    assert rate == RATE, rate
    loud = np.flatnonzero(np.abs(data) > 0.02 * np.abs(data).max())
    return data[loud[0] : loud[-1] + 1]


def make_narration(minutes: float, work: Path) -> tuple[Path, Path, float]:
    """(audio, article, seconds): cached by length; the article is what was read."""
    folder = work / f"narration-{minutes:g}min"
    audio, article = folder / "narration.mp3", folder / "article.md"
    if audio.is_file() and article.is_file():
        return audio, article, float(json.loads((folder / "info.json").read_text())["seconds"])
    folder.mkdir(parents=True, exist_ok=True)
    chunks: list[np.ndarray] = [np.zeros(int(0.5 * RATE), np.float32)]
    markdown: list[str] = []
    total, k, part = 0.5, 0, 1
    with tempfile.TemporaryDirectory() as tmp:
        while total < minutes * 60:
            for s, (heading, paragraphs) in enumerate(text.SECTIONS):
                if total >= minutes * 60:
                    break
                title = heading if part == 1 else f"{heading}, part {part}"
                markdown.append(("# " if not markdown else "## ") + title)
                voice, speed = text.VOICES[k % len(text.VOICES)]
                k += 1
                for p, sentences in enumerate([[title], *paragraphs]):
                    if p:
                        markdown.append(" ".join(sentences))
                    speech = speak(text.pronounce(" ".join(sentences)), voice, speed, Path(tmp))
                    pause = PAUSES[(k + p) % len(PAUSES)]
                    chunks += [speech, np.zeros(int(pause * RATE), np.float32)]
                    total += speech.size / RATE + pause
                if s % 3 == 2:
                    pause = LONG_PAUSES[(k // 3) % len(LONG_PAUSES)]
                    chunks.append(np.zeros(int(pause * RATE), np.float32))
                    total += pause
            part += 1
        wav = Path(tmp) / "narration.wav"
        sf.write(wav, np.concatenate(chunks), RATE)
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-ac", "1",
                        "-b:a", "64k", str(audio)], check=True)
    article.write_text("\n\n".join(markdown) + "\n", encoding="utf-8")
    (folder / "info.json").write_text(json.dumps({"seconds": total}))
    return audio, article, total


def measure(name: str, argv: list[str], cwd: Path, env: dict[str, str]) -> Run:
    """Run argv as a child process; its wall time and peak RSS (wait4: this child alone)."""
    began = time.perf_counter()
    with open(cwd / f"{name}.log", "wb") as log:
        child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        tail = (cwd / f"{name}.log").read_text(errors="replace")[-2000:]
        raise SystemExit(f"{name} failed ({child.returncode}):\n{tail}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(name, wall, cpu, usage.ru_maxrss / 1024)  # ru_maxrss is KiB on Linux


FW_ALONE = """
import sys
from faster_whisper import WhisperModel
from audio_pipeline.transcribe.fast import ct2_directory, default_threads
_, directory = ct2_directory(sys.argv[2])
model = WhisperModel(str(directory), device="cpu", compute_type=sys.argv[3],
                     cpu_threads=default_threads(), local_files_only=True)
segments, _ = model.transcribe(sys.argv[1], language="en", beam_size=1, best_of=1,
                               word_timestamps=True, condition_on_previous_text=False)
print(sum(len(s.words or ()) for s in segments), "words")
"""


RUNS = ("cli", "openai-whisper", "faster-whisper", "vad", "alone")  # what --runs may name


def bench(audio: Path, article: Path, seconds: float, model: str, checkpoint: Path,
          work: Path, env: dict[str, str], which: tuple[str, ...] = RUNS) -> list[Run]:
    runs: list[Run] = []
    scratch = work / "runs" / audio.parent.name
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    cli = [str(BIN / "whisper"), str(audio), "--model", str(checkpoint), "--word_timestamps",
           "True", "--output_format", "all", "--output_dir", str(scratch / "whisper-cli")]
    if "cli" in which:
        runs.append(measure("whisper-cli", cli, scratch, env))
    for key, name, extra in (
            ("openai-whisper", "process openai-whisper", ["--engine", "openai-whisper"]),
            ("faster-whisper", "process faster-whisper", ["--engine", "faster-whisper"]),
            ("vad", "process faster-whisper --vad", ["--engine", "faster-whisper", "--vad"])):
        if key not in which:
            continue
        out = scratch / name.replace(" ", "_")
        argv = [str(BIN / "audio-pipeline"), "process", str(audio), "--source", str(article),
                "--title", "Bench", "--model", model, "--no-cache", "--out", str(out), *extra]
        run = measure(name.replace(" ", "_"), argv, scratch, env)
        run.name = name
        result = json.loads((out / "bench" / "bench.result.json").read_text())
        run.stages = {k: float(v) for k, v in result["stage_seconds"].items()}
        runs.append(run)
    for compute in ("float32", "int8") if "alone" in which else ():  # int8 for reference
        alone = measure(f"faster-whisper-alone-{compute}",
                        [sys.executable, "-c", FW_ALONE, str(audio), model, compute], scratch, env)
        alone.name = f"faster-whisper alone {compute}"
        runs.append(alone)
    return runs


def _ratio(a: float, b: float | None, width: int) -> str:
    return f"{a / b:{width}.2f}" if b else f"{'-':>{width}}"


def report(label: str, seconds: float, runs: list[Run]) -> None:
    cli = next((r for r in runs if r.name == "whisper-cli"), None)
    alone = next((r for r in runs if "alone float32" in r.name), None)
    print(f"\n{label}: {seconds / 60:.1f} min of audio")
    print(f"{'run':34} {'wall s':>8} {'RTF':>6} {'/CLI':>6} {'/fw alone':>9} {'cpu s':>8} "
          f"{'cpu/CLI':>7} {'cpu/fw':>6} {'peak MB':>8}  stage shares of wall")
    for r in runs:
        shares = "  ".join(f"{k} {100 * v / r.wall:.0f}%" for k, v in r.stages.items()
                           if k not in ("verify", "loudness_overlapped"))
        if "verify" in r.stages:
            shares += f" (verify {100 * r.stages['verify'] / r.wall:.1f}% inside align)"
        if "loudness_overlapped" in r.stages:  # the loudness share is then only its wait
            shares += (f" (loudness {100 * r.stages['loudness_overlapped'] / r.wall:.0f}%"
                       " alongside transcription)")
        print(f"{r.name:34} {r.wall:8.1f} {r.wall / seconds:6.3f} "
              f"{_ratio(r.wall, cli and cli.wall, 6)} {_ratio(r.wall, alone and alone.wall, 9)} "
              f"{r.cpu:8.1f} {_ratio(r.cpu, cli and cli.cpu, 7)} "
              f"{_ratio(r.cpu, alone and alone.cpu, 6)} {r.peak_mb:8.0f}  {shares}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path.home() / ".cache" / "audio-pipeline-bench")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--long", action="store_true", help="also a 60-minute narration")
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--runs", default=",".join(RUNS),
                    help=f"which runs, comma-separated, of {','.join(RUNS)} (default: all)")
    ap.add_argument("--long-runs", default=None,
                    help="the runs for the 60-minute narration (default: --runs)")
    args = ap.parse_args(argv)
    which = _runs(args.runs)
    long_which = _runs(args.long_runs) if args.long_runs else which
    work = args.work.expanduser().resolve()
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("AUDIO_PIPELINE_CACHE", str(work / "cache"))  # models only: --no-cache
    checkpoint = work / f"{args.model}.pt"
    if not checkpoint.is_file():
        subprocess.run([str(BIN / "audio-pipeline"), "models", "export", args.model,
                        str(checkpoint)], check=True, env=env)
    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.1f} "
          "(other work on the machine slows every run alike; compare the ratios)")
    lengths = [(args.minutes, which)] + ([(60.0, long_which)] if args.long else [])
    for minutes, runs_wanted in lengths:
        audio, article, seconds = make_narration(minutes, work)
        runs = bench(audio, article, seconds, args.model, checkpoint, work, env, runs_wanted)
        report(audio.parent.name, seconds, runs)


def _runs(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in RUNS]
    if unknown or not names:
        raise SystemExit(f"--runs: unknown {unknown or 'nothing'}; choose from {','.join(RUNS)}")
    return names


if __name__ == "__main__":
    main()
