"""Check the CTranslate2 -> openai-whisper conversion against faster-whisper.

Runs the same 16 kHz input through (a) our converted checkpoint in openai-whisper and
(b) the original CTranslate2 model in faster-whisper, both fp32 on CPU, beam search,
word timestamps, no conditioning on previous text; prints the text difference, word
time differences, WER of each against the reference and the time ratio.

faster-whisper need not be installed here: ``--fw-python`` names an interpreter of
another environment (``python3 -m venv /tmp/fwvenv && /tmp/fwvenv/bin/pip install
faster-whisper``) and this script runs itself there as a worker. Without it, the
check is skipped with a message.

    python benchmarks/verify_conversion.py --fw-python /tmp/fwvenv/bin/python
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SONNET = ROOT / "samples" / "sonnet-1"


def faster_whisper_worker(audio_npy: str, model_dir: str, out_json: str, beam: int) -> None:
    """Runs inside the faster-whisper environment: no torch, no audio_pipeline."""
    import numpy as np
    from faster_whisper import WhisperModel

    array = np.load(audio_npy)
    model = WhisperModel(model_dir, device="cpu", compute_type="float32", cpu_threads=2)
    began = time.perf_counter()
    segments, _info = model.transcribe(
        array,
        language="en",
        beam_size=beam,
        word_timestamps=True,
        condition_on_previous_text=False,
        vad_filter=False,
    )
    words = [
        {"text": w.word.strip(), "start": w.start, "end": w.end}
        for s in segments
        for w in (s.words or [])
    ]
    seconds = time.perf_counter() - began
    Path(out_json).write_text(json.dumps({"words": words, "seconds": seconds}))


def _ct2_dir(model: str, scratch: Path) -> Path:
    """A directory faster-whisper can open; split bundled models are joined here."""
    from audio_pipeline.transcribe.models import bundled_source

    source = bundled_source(model)
    if source is None:
        path = Path(model)
        if not (path / "model.bin").is_file():
            raise SystemExit(f"{model}: not a bundled name or a CTranslate2 model directory")
        return path
    if len(source.parts) == 1:
        return source.directory
    joined = scratch / "ct2"
    joined.mkdir()
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        if (source.directory / name).is_file():
            os.symlink(source.directory / name, joined / name)
    with open(joined / "model.bin", "wb") as out:
        for part in source.parts:
            with open(part, "rb") as handle:
                shutil.copyfileobj(handle, out)
    return joined


def _ours(model: str, array, beam: int) -> tuple[list[dict], float]:
    import numpy as np

    from audio_pipeline.transcribe import WhisperTranscriber
    from audio_pipeline.types import Audio

    engine = WhisperTranscriber(model, language="en", beam_size=beam, threads=2, device="cpu")
    engine.load()
    # Warm numba's DTW so its one-off compile is not charged to the timing.
    engine.transcribe(Audio(np.zeros((16_000, 1), dtype=np.float32), 16_000))
    began = time.perf_counter()
    transcript = engine.transcribe(Audio(array[:, None], 16_000))
    seconds = time.perf_counter() - began
    words = [{"text": w.text, "start": w.start, "end": w.end} for w in transcript.words]
    return words, seconds


def _wer(reference: str, words: list[dict]) -> float:
    import re

    from rapidfuzz.distance import Levenshtein

    def norm(text: str) -> list[str]:
        text = re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("\u2019", "'"))
        return [t.strip("'") for t in text.split() if t.strip("'")]

    ref = norm(reference)
    return Levenshtein.distance(ref, norm(" ".join(w["text"] for w in words))) / max(len(ref), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, default=SONNET / "narration.mp3")
    parser.add_argument("--reference", type=Path, default=SONNET / "source.txt")
    parser.add_argument("--model", default="tiny.en", help="bundled name or CT2 directory")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--fw-python", help="python of an environment with faster-whisper")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        audio_npy, model_dir, out_json = args.worker
        faster_whisper_worker(audio_npy, model_dir, out_json, args.beam_size)
        return 0

    fw_python = args.fw_python
    if fw_python is None:
        try:
            import faster_whisper  # noqa: F401

            fw_python = sys.executable
        except ImportError:
            print("faster-whisper is not installed here; pass --fw-python. Skipping.")
            return 0

    import numpy as np
    import soundfile as sf

    sys.path.insert(0, str(ROOT))
    from audio_pipeline.transcribe import to_whisper_input
    from audio_pipeline.types import Audio

    samples, rate = sf.read(args.audio, dtype="float32", always_2d=True)
    array = to_whisper_input(Audio(samples, rate, args.audio))

    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        np.save(scratch / "audio.npy", array)
        ct2 = _ct2_dir(args.model, scratch)
        command = [fw_python, __file__, "--beam-size", str(args.beam_size), "--worker"]
        command += [str(scratch / "audio.npy"), str(ct2), str(scratch / "fw.json")]
        subprocess.run(command, check=True)
        theirs = json.loads((scratch / "fw.json").read_text())
    ours, our_seconds = _ours(args.model, array, args.beam_size)

    our_text = " ".join(w["text"] for w in ours)
    their_text = " ".join(w["text"] for w in theirs["words"])
    print(
        f"audio {args.audio.name}: {len(array) / 16_000:.1f} s, model {args.model}, "
        f"beam {args.beam_size}, fp32 CPU, 2 threads"
    )
    print(
        f"text identical: {our_text == their_text} "
        f"({len(ours)} words ours, {len(theirs['words'])} faster-whisper)"
    )
    if our_text != their_text:
        print(f"  ours:           {our_text}")
        print(f"  faster-whisper: {their_text}")
    # Pair words through the longest matching runs, so one differing word does not
    # shift every later comparison.
    matcher = difflib.SequenceMatcher(
        None, [w["text"] for w in ours], [w["text"] for w in theirs["words"]], autojunk=False
    )
    pairs = [
        (ours[block.a + k], theirs["words"][block.b + k])
        for block in matcher.get_matching_blocks()
        for k in range(block.size)
    ]
    if pairs:
        deltas = np.array(
            [[abs(a["start"] - b["start"]), abs(a["end"] - b["end"])] for a, b in pairs]
        )
        within = float(np.mean(np.all(deltas <= 0.01 + 1e-9, axis=1)))
        print(
            f"word times over {len(pairs)} matching words: max |d start| "
            f"{deltas[:, 0].max():.3f} s, max |d end| {deltas[:, 1].max():.3f} s, "
            f"mean {deltas.mean():.4f} s, within 0.01 s: {within:.1%}"
        )
    if args.reference.is_file():
        reference = args.reference.read_text(encoding="utf-8")
        print(
            f"WER vs reference: ours {_wer(reference, ours):.1%}, "
            f"faster-whisper {_wer(reference, theirs['words']):.1%}"
        )
    ratio = our_seconds / theirs["seconds"] if theirs["seconds"] else float("nan")
    print(
        f"transcribe time: ours {our_seconds:.2f} s, faster-whisper "
        f"{theirs['seconds']:.2f} s, ratio ours/faster-whisper {ratio:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
