"""End to end: normalize and encode MP3s, judged by ffmpeg's ebur128 filter on the MP3.

The referee is independent of our meter: ffmpeg decodes the encoded file and measures
integrated loudness and true peak itself. Every case must land within +-0.5 LU of the
target with a true peak at or under the ceiling.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from test_loudness import ffmpeg_ebur128, speech

from audio_pipeline import media
from audio_pipeline.errors import LoudnessError
from audio_pipeline.loudness.normalizer import load_preset, measure_file, normalize_and_encode
from audio_pipeline.types import Audio


def _judge(mp3: Path, target: float, ceiling: float, report) -> dict[str, float]:
    ref = ffmpeg_ebur128(mp3)
    assert ref["I"] == pytest.approx(target, abs=0.5)
    assert ref["Peak"] <= ceiling
    # our own read-back of the MP3 agrees with the referee
    assert report.output.integrated == pytest.approx(ref["I"], abs=0.1)
    assert report.output.true_peak == pytest.approx(ref["Peak"], abs=0.3)
    return ref


def _wav(tmp_path: Path, x: np.ndarray, rate: int, subtype: str) -> Audio:
    path = tmp_path / f"in-{subtype}-{rate}.wav"
    sf.write(path, x, rate, subtype=subtype)
    return media.decode(path)


@pytest.fixture(scope="module")
def quiet_stereo() -> Audio:
    return Audio(speech(44100, 2, seconds=14.0, lufs=-30.0), 44100)


@pytest.mark.parametrize("preset", ["podcast", "podcast-mono", "ebu-r128", "streaming"])
def test_every_preset_meets_its_target_on_quiet_speech(tmp_path: Path, quiet_stereo: Audio,
                                                       preset: str) -> None:
    chosen = load_preset(preset)
    mp3 = tmp_path / f"{preset}.mp3"
    report = normalize_and_encode(quiet_stereo, mp3, preset=preset)
    _judge(mp3, chosen.target, chosen.ceiling, report)
    assert report.preset == preset and report.target == chosen.target
    if chosen.channels is None:  # a downmix to mono changes the input's loudness
        assert report.input.integrated == pytest.approx(-30.0, abs=0.1)
    assert sf.info(str(mp3)).channels == (chosen.channels or 2)


def _peaky(rate: int) -> np.ndarray:
    x = speech(rate, 2, seconds=12.0, lufs=-26.0).astype(np.float64)
    rng = np.random.default_rng(7)
    n = int(0.006 * rate)  # 6 ms plosive-like thumps reaching about -0.3 dBFS
    burst = 0.96 * np.sin(2 * np.pi * 110 * np.arange(n) / rate) * np.hanning(n)
    for pos in rng.integers(0, x.shape[0] - n, 10):
        x[pos:pos + n] += burst[:, None]
    return np.clip(x, -1, 1).astype(np.float32)


CASES = {
    "peaky-stereo-48k-16bit": lambda: (_peaky(48000), 48000, "PCM_16"),
    "mono-22k-16bit": lambda: (speech(22050, 1, lufs=-28.0), 22050, "PCM_16"),
    "mono-8k-8bit": lambda: (speech(8000, 1, lufs=-22.0), 8000, "PCM_U8"),
    "stereo-96k-24bit": lambda: (speech(96000, 2, seconds=10.0), 96000, "PCM_24"),
    "stereo-44k-float": lambda: (speech(44100, 2, lufs=-35.0), 44100, "FLOAT"),
    "three-channels": lambda: (speech(44100, 3), 44100, "PCM_16"),
    "six-channels-5.1": lambda: (speech(48000, 6, seconds=10.0), 48000, "PCM_24"),
    "clipped": lambda: (np.clip(speech(44100, 2, lufs=-8.0) * 1.0, -1.0, 1.0), 44100, "PCM_16"),
    "dc-offset": lambda: (speech(44100, 1, lufs=-26.0) + np.float32(0.15), 44100, "FLOAT"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_podcast_preset_meets_target_for_any_input(tmp_path: Path, case: str) -> None:
    x, rate, subtype = CASES[case]()
    audio = _wav(tmp_path, x, rate, subtype)
    mp3 = tmp_path / "out.mp3"
    report = normalize_and_encode(audio, mp3, preset="podcast")
    _judge(mp3, -16.0, -1.0, report)
    info = sf.info(str(mp3))
    assert info.channels == min(x.shape[1], 2)
    assert info.samplerate == (48000 if rate == 96000 else rate)
    if case == "clipped":
        assert any("clipped" in w for w in report.warnings)
    if case == "dc-offset":
        assert any("DC offset" in w for w in report.warnings)
    if case.startswith("peaky"):  # the thumps are taken by the limiter or the leveler's tamer
        assert report.limiter_max_reduction_db + report.leveler_max_cut_db > 3.0


def test_overrides_and_dual_mono(tmp_path: Path) -> None:
    mono = Audio(speech(22050, 1, lufs=-30.0), 22050)
    mp3 = tmp_path / "dual.mp3"
    # -16 measured as dual-mono is -19 for a meter that counts the one channel once
    report = normalize_and_encode(mono, mp3, preset="podcast", dual_mono=True, ceiling=-2.0)
    ref = ffmpeg_ebur128(mp3)
    assert ref["I"] == pytest.approx(-19.0, abs=0.5)
    assert ref["Peak"] <= -2.0
    assert report.output.integrated == pytest.approx(-16.0, abs=0.3)
    assert report.ceiling == -2.0


def test_silence_gets_no_gain_and_a_warning(tmp_path: Path) -> None:
    silent = Audio(np.zeros((44100 * 3, 2), np.float32), 44100)
    mp3 = tmp_path / "silence.mp3"
    report = normalize_and_encode(silent, mp3)
    assert report.gain_db == 0.0
    assert any("silent" in w for w in report.warnings)
    assert report.output.integrated == float("-inf")
    assert mp3.is_file()


def test_too_short_input_is_a_clear_error(tmp_path: Path) -> None:
    short = Audio(speech(44100, 2, seconds=0.3, lufs=None), 44100)
    with pytest.raises(LoudnessError, match="too short to measure"):
        normalize_and_encode(short, tmp_path / "short.mp3")
    assert not list(tmp_path.iterdir())


def test_sample_rate_and_bitrate_are_honoured(tmp_path: Path, quiet_stereo: Audio) -> None:
    mp3 = tmp_path / "hi.mp3"
    report = normalize_and_encode(quiet_stereo, mp3, bitrate_kbps=192, sample_rate=32000,
                                  channels=1)
    _judge(mp3, -16.0, -1.0, report)
    info = sf.info(str(mp3))
    assert (info.samplerate, info.channels) == (32000, 1)


def test_a_file_path_is_streamed_and_gives_the_same_result(tmp_path: Path) -> None:
    x = speech(44100, 3, seconds=10.0, lufs=-25.0)
    wav = tmp_path / "in.wav"
    sf.write(wav, x, 44100, subtype="PCM_24")
    before = wav.read_bytes()
    from_path = normalize_and_encode(wav, tmp_path / "a.mp3", preset="ebu-r128")
    from_audio = normalize_and_encode(media.decode(wav), tmp_path / "b.mp3", preset="ebu-r128")
    assert wav.read_bytes() == before
    assert from_path.gain_db == pytest.approx(from_audio.gain_db, abs=1e-3)
    assert from_path.output.integrated == pytest.approx(from_audio.output.integrated, abs=0.01)
    _judge(tmp_path / "a.mp3", -23.0, -1.0, from_path)


def test_a_path_libsndfile_cannot_read_is_decoded_by_ffmpeg(tmp_path: Path) -> None:
    wav = tmp_path / "in.wav"
    sf.write(wav, speech(48000, 2, seconds=10.0), 48000)
    m4a = tmp_path / "in.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "aac", str(m4a)],
                   check=True)
    report = normalize_and_encode(m4a, tmp_path / "out.mp3")
    _judge(tmp_path / "out.mp3", -16.0, -1.0, report)


def test_the_check_made_while_encoding_equals_measuring_the_written_file(
        tmp_path: Path, quiet_stereo: Audio) -> None:
    mp3 = tmp_path / "out.mp3"
    report = normalize_and_encode(quiet_stereo, mp3)
    after = measure_file(mp3, 2)
    assert report.output.integrated == after.integrated
    assert report.output.true_peak == after.true_peak
    assert report.output.lra == after.lra
    assert report.output.short_term == after.short_term


def test_an_existing_mp3_keeps_its_mode_and_a_new_one_gets_the_umask(
        tmp_path: Path, quiet_stereo: Audio) -> None:
    fresh, kept = tmp_path / "fresh.mp3", tmp_path / "kept.mp3"
    kept.write_bytes(b"old")
    os.chmod(kept, 0o640)
    normalize_and_encode(quiet_stereo, fresh)
    normalize_and_encode(quiet_stereo, kept)
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask
    assert kept.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.mp3", "kept.mp3"]


def test_files_are_streamed_even_when_ffmpeg_must_decode_or_resample_them(
        tmp_path: Path) -> None:
    x = speech(48000, 2, seconds=8.0)
    m4a, flac = tmp_path / "in.m4a", tmp_path / "in96.flac"
    wav = tmp_path / "in.wav"
    sf.write(wav, x, 48000)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "aac", str(m4a)],
                   check=True)
    sf.write(flac, speech(96000, 2, seconds=8.0), 96000)
    source = media.block_source(m4a)
    assert source.ffmpeg and source.audio is None  # never decoded whole
    assert (source.sample_rate, source.channels) == (48000, 2)
    assert media.block_source(flac).resampled_by_ffmpeg(48000).ffmpeg_rate == 48000
    report = normalize_and_encode(flac, tmp_path / "out96.mp3")
    _judge(tmp_path / "out96.mp3", -16.0, -1.0, report)
    assert sf.info(str(tmp_path / "out96.mp3")).samplerate == 48000
