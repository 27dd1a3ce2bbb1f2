"""The loudness stage run alongside transcription when a core is left free: the same
episode as in turn (the same MP3, the same loudness report), its time reported beside the
stages, and never chosen when transcription fills every core."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import synthesize

from audio_pipeline.background import Background, core_left_free, usable_cores
from audio_pipeline.batch.worker import SerializedTranscriber
from audio_pipeline.metadata.config import PodcastConfig
from audio_pipeline.pipeline import INNER_TIMES, process_episode
from audio_pipeline.transcribe.engine import WhisperTranscriber
from audio_pipeline.transcribe.fast import FasterWhisperTranscriber
from audio_pipeline.types import Episode, EpisodeMeta

TEXT = ("The river town of Millbrook rebuilt its water pipes over six years. "
        "Engineers mapped every main, replaced the lead lines, and cut the losses by half.")


def test_background_work_returns_its_value_or_raises_its_error():
    assert Background(lambda: 41 + 1, name="t").result() == 42

    def fails() -> int:
        raise ValueError("encoder gone")

    failing = Background(fails, name="t")
    with pytest.raises(ValueError, match="encoder gone"):
        failing.result()
    assert failing.seconds >= 0.0


def test_a_core_is_free_only_when_transcription_uses_fewer_threads_than_cores():
    cores = usable_cores()
    for engine in (FasterWhisperTranscriber, WhisperTranscriber):
        assert not core_left_free(engine("tiny.en", device="cpu"))  # every core by default
        assert not core_left_free(engine("tiny.en", device="cpu", threads=cores))
        assert core_left_free(engine("tiny.en", device="cpu", threads=1)) == (cores > 1)
        assert core_left_free(engine("tiny.en", device="cuda"))  # the GPU transcribes
    # a batch worker's: its episodes already overlap one another's stages
    assert not core_left_free(SerializedTranscriber(FasterWhisperTranscriber("tiny.en",
                                                                             threads=1)))


@pytest.mark.slow
def test_overlapped_loudness_gives_the_same_episode_as_in_turn(tmp_path: Path):
    wav = synthesize(TEXT, tmp_path / "clip.wav")
    article = tmp_path / "article.md"
    article.write_text("# Pipes\n\n" + TEXT + "\n", encoding="utf-8")
    episode = Episode(wav, EpisodeMeta(title="Pipes"), "pipes", article)
    engine = FasterWhisperTranscriber("tiny.en", device="cpu", threads=1)
    runs = {}
    for overlap in (True, False):
        out = tmp_path / f"overlap-{overlap}"
        result = process_episode(episode, PodcastConfig(), out, transcriber=engine,
                                 overlap=overlap)
        runs[overlap] = (result, out / "pipes")
    (together, a), (in_turn, b) = runs[True], runs[False]
    assert together.loudness == in_turn.loudness
    assert (a / "pipes.mp3").read_bytes() == (b / "pipes.mp3").read_bytes()
    seconds = json.loads((a / "pipes.result.json").read_text())["stage_seconds"]
    assert seconds["loudness_overlapped"] > 0 and "loudness_overlapped" in INNER_TIMES
    assert "loudness_overlapped" not in in_turn.stage_seconds
    assert not list(tmp_path.glob("overlap-*/.*"))  # no staging folder left behind
