"""The faster-whisper engine: the bundled CTranslate2 model run as it ships, giving the same
Transcript as openai-whisper (checked on the same clip), the narration checks working with
it (every defect of a fixture found, nothing else), silence skipping that keeps the
recording's times, and the settings that choose it (config, manifest, CLI, cache key)."""

from __future__ import annotations

import difflib
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import synthesize

from audio_pipeline.cache import TranscriptCache
from audio_pipeline.errors import ConfigError, ModelError
from audio_pipeline.metadata.config import PodcastConfig, load_config, with_overrides
from audio_pipeline.pipeline import make_transcriber, transcribe_cached
from audio_pipeline.transcribe.fast import (
    FasterWhisperTranscriber,
    ct2_directory,
    rows_to_transcript,
)
from audio_pipeline.types import Audio, Segment, Transcript, Word

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "align"
CLIP_TEXT = ("The river town of Millbrook rebuilt its water pipes over six years. "
             "Engineers mapped every main, replaced the lead lines, and cut the losses by half.")


# --------------------------------------------------------------------------- pure logic


def test_the_bundled_model_is_a_complete_ct2_folder_for_faster_whisper():
    name, directory = ct2_directory(None)
    assert name == "tiny.en"
    for needed in ("model.bin", "config.json", "tokenizer.json"):
        assert (directory / needed).is_file()


def test_a_checkpoint_or_an_incomplete_folder_is_refused_with_the_reason(tmp_path):
    checkpoint = tmp_path / "tiny.pt"
    checkpoint.write_bytes(b"not used")
    with pytest.raises(ModelError, match="openai-whisper"):
        ct2_directory(str(checkpoint))
    folder = tmp_path / "ct2"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"")
    (folder / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="missing tokenizer.json") as err:
        ct2_directory(str(folder))
    assert err.value.path == folder


def test_times_in_the_tail_padding_are_clipped_and_a_padding_only_segment_dropped():
    rows = [(0.0, 2.0, " Hello there.", [(" Hello", 0.1, 0.6, 0.9), (" there.", 0.7, 2.4, 0.8)]),
            (2.2, 2.9, " you", [(" you", 2.2, 2.9, 0.2)])]
    transcript = rows_to_transcript(rows, "en", "tiny.en", 2.0)
    assert transcript == Transcript(
        (Segment(0, 0.0, 2.0, "Hello there.",
                 (Word("Hello", 0.1, 0.6, 0.9), Word("there.", 0.7, 2.0, 0.8))),),
        "en", "tiny.en", 2.0)


def test_the_config_chooses_the_engine_and_rejects_what_cannot_run(tmp_path):
    assert isinstance(make_transcriber(PodcastConfig(engine="faster-whisper")),
                      FasterWhisperTranscriber)
    assert type(make_transcriber(PodcastConfig())).__name__ == "WhisperTranscriber"
    path = tmp_path / "podcast.toml"
    path.write_text('engine = "faster-whisper"\nvad = true\ncompute_type = "int8"\n')
    cfg = load_config(path)
    assert (cfg.engine, cfg.vad, cfg.compute_type) == ("faster-whisper", True, "int8")
    transcriber = make_transcriber(cfg, threads=1)
    assert transcriber.vad and transcriber.threads == 1 and transcriber.compute_type == "int8"
    assert make_transcriber(PodcastConfig(engine="faster-whisper")).compute_type is None  # auto
    path.write_text('engine = "whisper.cpp"\nvad = "yes"\ncompute_type = "int4"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = err.value.message
    assert "engine" in message and "vad: must be true or false" in message
    assert "compute_type: 'int4' is not one of" in message
    with pytest.raises(ConfigError, match="vad"):
        with_overrides(PodcastConfig(), vad=True)  # openai-whisper skips no silence


def test_a_manifest_podcast_table_and_the_batch_flag_choose_the_engine(tmp_path):
    from audio_pipeline.metadata.manifest import load_manifest

    manifest = tmp_path / "manifest.toml"
    manifest.write_text('[podcast]\nengine = "faster-whisper"\n\n[[episode]]\ntitle = "One"\n')
    loaded = load_manifest(manifest, PodcastConfig(), check_files=False)
    assert loaded.config.engine == "faster-whisper"
    flagged = load_manifest(manifest, PodcastConfig(), check_files=False,
                            overrides={"engine": "openai-whisper", "vad": None})
    assert flagged.config.engine == "openai-whisper"


def test_the_faster_engine_and_the_stages_after_it_load_no_torch():
    # torch and whisper cost seconds and hundreds of MB; faster-whisper needs neither
    # (the narration checks load them at their first check, not before)
    code = (
        "import sys\n"
        "from audio_pipeline.metadata.config import PodcastConfig\n"
        "from audio_pipeline.pipeline import make_transcriber\n"
        "import audio_pipeline.align.aligner, audio_pipeline.loudness.normalizer\n"
        "import audio_pipeline.media.decoder, audio_pipeline.publish.writers\n"
        "t = make_transcriber(PodcastConfig(engine='faster-whisper'))\n"
        "assert t.model_name == 'tiny.en'\n"
        "print(sorted({'torch', 'whisper'} & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_a_batch_worker_keeps_one_model_per_engine_with_its_share_of_the_cores():
    from audio_pipeline.batch.worker import WorkerSpec, worker_transcriber

    spec = WorkerSpec(torch_threads=1)  # cores // jobs, from the runner
    fast = worker_transcriber(PodcastConfig(engine="faster-whisper"), spec)
    assert fast is worker_transcriber(PodcastConfig(engine="faster-whisper"), spec)
    assert (fast.engine, fast.inner.threads, fast.vad) == ("faster-whisper", 1, False)
    openai = worker_transcriber(PodcastConfig(), WorkerSpec())
    assert openai is not fast and openai.engine == "openai-whisper"


def test_the_commands_take_the_engine_and_refuse_vad_without_faster_whisper(tmp_path):
    from click.testing import CliRunner

    from audio_pipeline.cli import cli

    for command in ("process", "batch"):
        help_text = CliRunner().invoke(cli, [command, "--help"]).output
        assert "--engine [openai-whisper|faster-whisper]" in help_text and "--vad" in help_text
    wav = tmp_path / "a.wav"
    sf.write(wav, np.zeros(1600, np.float32), 16000)
    result = CliRunner().invoke(cli, ["process", str(wav), "--engine", "openai-whisper", "--vad",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "vad" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1


class _Fixed:
    """A transcriber that returns a fixed transcript and counts calls (cache logic only)."""

    model_name, language, beam_size = "tiny.en", None, None

    def __init__(self, engine: str):
        self.engine, self.calls = engine, 0

    def transcribe(self, audio: Audio) -> Transcript:
        self.calls += 1
        return Transcript((), "en", self.engine, audio.duration)


def test_cached_transcripts_are_never_shared_between_engines(tmp_path):
    cache = TranscriptCache(tmp_path)
    audio = Audio(np.zeros((16000, 1), np.float32), 16000, tmp_path / "a.wav")
    openai, fast = _Fixed("openai-whisper"), _Fixed("faster-whisper")
    assert transcribe_cached(audio, "digest", openai, cache)[1] is False
    transcript, hit = transcribe_cached(audio, "digest", fast, cache)
    assert (hit, transcript.model, fast.calls) == (False, "faster-whisper", 1)
    assert transcribe_cached(audio, "digest", fast, cache)[1] is True


# --------------------------------------------------------------------------- the real model


@pytest.fixture(scope="module")
def fast_engine() -> FasterWhisperTranscriber:
    return FasterWhisperTranscriber("tiny.en", threads=2)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Audio:
    wav = synthesize(CLIP_TEXT, tmp_path_factory.mktemp("clip") / "clip.wav", speed=160)
    data, rate = sf.read(wav, dtype="float32")
    data = np.concatenate([np.zeros(rate // 2, np.float32), data])
    return Audio(data.reshape(-1, 1), rate, wav)


def _matched_starts(a: Transcript, b: Transcript) -> tuple[float, list[float]]:
    """(word-level similarity, |start difference| of the words both engines wrote)."""
    wa = [w.text.lower().strip(".,") for w in a.words]
    wb = [w.text.lower().strip(".,") for w in b.words]
    matcher = difflib.SequenceMatcher(a=wa, b=wb, autojunk=False)
    diffs = [abs(a.words[block.a + k].start - b.words[block.b + k].start)
             for block in matcher.get_matching_blocks() for k in range(block.size)]
    return matcher.ratio(), diffs


@pytest.mark.slow
def test_both_engines_give_nearly_the_same_words_and_times_on_one_clip(fast_engine, clip):
    from audio_pipeline.transcribe.engine import WhisperTranscriber

    reference = WhisperTranscriber("tiny.en", threads=2).transcribe(clip)
    fast = fast_engine.transcribe(clip)
    assert type(fast) is Transcript and (fast.model, fast.language) == ("tiny.en", "en")
    assert fast.duration == reference.duration
    similarity, diffs = _matched_starts(reference, fast)
    assert similarity >= 0.9, ([w.text for w in reference.words], [w.text for w in fast.words])
    assert statistics.median(diffs) <= 0.05 and max(diffs) <= 0.3, diffs
    assert all(0.0 <= w.start <= w.end <= clip.duration for w in fast.words)


@pytest.mark.slow
def test_vad_skips_a_long_silence_and_keeps_the_recordings_times(clip):
    rate = clip.sample_rate
    gap = np.zeros((12 * rate, 1), np.float32)
    audio = Audio(np.concatenate([clip.samples, gap, clip.samples]), rate, clip.path)
    plain = FasterWhisperTranscriber("tiny.en", threads=2).transcribe(audio)
    skipping = FasterWhisperTranscriber("tiny.en", threads=2, vad=True).transcribe(audio)
    # the windows differ (speech is cut at the silences), so tiny.en's guesses at unclear
    # words may too; the words both wrote must sit at the same times
    similarity, diffs = _matched_starts(plain, skipping)
    assert similarity >= 0.6 and statistics.median(diffs) <= 0.1, diffs
    # the second reading starts after the silence, in the recording's time
    second = [w for w in skipping.words if w.start > clip.duration]
    assert second and abs(second[0].start - (clip.duration + 12.5)) <= 0.5, second[:3]


@pytest.mark.slow
def test_with_faster_whisper_every_defect_is_found_and_checked_and_nothing_else(fast_engine):
    from test_align_recordings import ARTICLE, check_issues, run_checked, start_errors

    result, _ = run_checked(fast_engine, FIXTURES / "defects.mp3", ARTICLE, "defects")
    # the truth's issues, the same the openai-whisper engine must find
    # (test_align_recordings.test_checked_against_the_audio_every_defect_and_no_false_flag)
    check_issues(result, "defects")
    assert all(i.llr is not None for i in result.issues if i.type in ("substituted", "skipped"))
    assert statistics.median(start_errors(result, "defects")) <= 0.05
