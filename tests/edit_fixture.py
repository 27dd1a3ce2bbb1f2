"""A short narration with a retake and a long pause, spoken by espeak-ng (tests/test_edit.py).

Each chunk is spoken alone, trimmed to its speech and joined with known silences over a
quiet room tone (cuts land in room tone, as in a real recording), so the truth is exact.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 22050
ARTICLE = [  # sentences tiny.en hears the same in the recording and the edited MP3
    ("h1", "The Old Town"),
    ("s", "The river runs north through the old town."),
    ("s", "The market opens early on Saturday morning."),
    ("s", "Every spring the water rises over the lower streets."),
    ("s", "Most of the houses have red roofs and white walls."),
    ("s", "In summer many visitors walk along the river."),
]
RETAKE = "The market opens early on"
ADLIB = "Sorry, let me read that again."
LONG_PAUSE = 6.0


def article_markdown() -> str:
    head, *body = ARTICLE
    return f"# {head[1]}\n\n" + " ".join(text for _, text in body) + "\n"


def script() -> list[tuple[str, str, float]]:
    """(role, text, pause after) in reading order."""
    out = [("heading", ARTICLE[0][1], 0.8), ("sentence", ARTICLE[1][1], 0.4),
           ("retake_first", RETAKE, 0.4), ("retake_adlib", ADLIB, 0.7)]
    for k, (_, text) in enumerate(ARTICLE[2:], start=2):
        out.append(("sentence", text, LONG_PAUSE if k == 3 else 0.4))
    return out


def _speak(text: str, tmp: Path) -> np.ndarray:
    wav = tmp / "chunk.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", str(wav), "--", text],
                   check=True, capture_output=True)
    data, rate = sf.read(wav, dtype="float32")
    assert rate == RATE, rate
    loud = np.flatnonzero(np.abs(data) > 0.02 * np.abs(data).max())
    return data[loud[0] : loud[-1] + 1]


def build(folder: Path) -> tuple[Path, Path, list[dict]]:
    """(recording.wav, article.md, timeline of chunks with true start and end)."""
    pieces = [np.zeros(int(0.6 * RATE), dtype=np.float32)]
    t, timeline = 0.6, []
    with tempfile.TemporaryDirectory() as tmp:
        for role, text, pause in script():
            audio = _speak(text, Path(tmp))
            dur = len(audio) / RATE
            timeline.append({"role": role, "text": text, "start": t, "end": t + dur,
                             "pause_after": pause})
            pieces += [audio, np.zeros(int(pause * RATE), dtype=np.float32)]
            t += dur + int(pause * RATE) / RATE
    pieces.append(np.zeros(int(0.8 * RATE), dtype=np.float32))
    signal = np.concatenate(pieces)
    signal = 0.5 * signal / np.abs(signal).max()
    room = np.random.default_rng(7).normal(0.0, 10 ** (-62 / 20), len(signal))  # -62 dBFS
    recording = folder / "narration.wav"
    sf.write(recording, (signal + room).astype(np.float32), RATE, subtype="PCM_16")
    article = folder / "article.md"
    article.write_text(article_markdown(), encoding="utf-8")
    return recording, article, timeline
