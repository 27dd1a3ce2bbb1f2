"""Loudness measurement, presets, the limiter and in-memory normalization.

Reference meters: pyloudnorm (DeMan filters) and ffmpeg's ebur128 filter; the
end-to-end MP3 checks are in test_loudness_encode.py.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pyloudnorm as pyln
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from audio_pipeline.errors import LoudnessError
from audio_pipeline.loudness.limiter import HOLD_MS, LOOKAHEAD_MS, RELEASE_DB_PER_S, reduction_curve
from audio_pipeline.loudness.meter import measure_blocks
from audio_pipeline.loudness.normalizer import known_presets, load_preset, measure, normalize
from audio_pipeline.types import Audio

TEXT = ("Loudness normalization makes every episode sound equally loud, whatever the "
        "recording level was. Peaks are held below the ceiling by a gentle limiter, and "
        "the encoded file is measured again before it is published.")


@functools.lru_cache(maxsize=1)
def _espeak(tmp: str = "/tmp") -> tuple[np.ndarray, int]:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    out = Path(tmp) / f"audio_pipeline_loudness_speech_{id(TEXT)}.wav"
    subprocess.run(["espeak-ng", "-s", "165", "-w", str(out), TEXT], check=True,
                   capture_output=True)
    data, rate = sf.read(str(out), dtype="float64")
    out.unlink(missing_ok=True)
    return data, rate


def speech(rate: int = 44100, channels: int = 2, seconds: float = 12.0,
           lufs: float | None = -30.0) -> np.ndarray:
    """espeak-ng speech, looped with level variation to ``seconds``, scaled with
    pyloudnorm (not our meter) to ``lufs``. Channels differ slightly (delay, level)."""
    base, base_rate = _espeak()
    if rate != base_rate:
        from math import gcd

        g = gcd(rate, base_rate)
        base = resample_poly(base, rate // g, base_rate // g)
    n = int(seconds * rate)
    reps = [base * level for level in (1.0, 0.6, 0.85, 0.7)]
    mono = np.concatenate(reps * (n // sum(len(r) for r in reps) + 1))[:n]
    cols = [np.roll(mono, 13 * c) * (1.0 - 0.12 * c) for c in range(channels)]
    x = np.stack(cols, axis=1)
    if lufs is not None:
        # pyloudnorm stops at five channels; the level of more is near enough for tests
        now = pyln.Meter(rate, filter_class="DeMan").integrated_loudness(x[:, :5])
        x *= 10 ** ((lufs - now) / 20)
    return x.astype(np.float32)


def ffmpeg_ebur128(path: Path) -> dict[str, float]:
    """ffmpeg's own meter (the referee): I, LRA and true peak from its Summary."""
    proc = subprocess.run(["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-af",
                           "ebur128=peak=true", "-f", "null", "-"],
                          capture_output=True, text=True, check=True)
    summary = proc.stderr[proc.stderr.rindex("Summary:"):]

    def value(label: str) -> float:
        return float(re.search(rf"{label}:\s+(-?[\d.]+|-inf)", summary).group(1))

    return {"I": value("I"), "LRA": value("LRA"), "Peak": value("Peak")}


# --------------------------------------------------------------------------- measure


@pytest.mark.parametrize(("rate", "channels"), [(44100, 2), (48000, 1), (8000, 2), (96000, 1)])
def test_integrated_agrees_with_pyloudnorm_within_0_01_lu(rate: int, channels: int) -> None:
    x = speech(rate, channels, seconds=10.0, lufs=-24.0)
    ours = measure(Audio(x, rate)).integrated
    ref = pyln.Meter(rate, filter_class="DeMan").integrated_loudness(x.astype(np.float64))
    assert ours == pytest.approx(ref, abs=0.01)


@pytest.mark.parametrize(("rate", "channels", "subtype"),
                         [(44100, 2, "FLOAT"), (22050, 1, "PCM_16"), (48000, 2, "PCM_24")])
def test_measure_agrees_with_ffmpeg_ebur128(tmp_path: Path, rate: int, channels: int,
                                            subtype: str) -> None:
    x = speech(rate, channels, seconds=14.0, lufs=-27.0)
    wav = tmp_path / "in.wav"
    sf.write(wav, x, rate, subtype=subtype)
    data, _ = sf.read(wav, dtype="float32", always_2d=True)
    ours = measure(Audio(data, rate))
    ref = ffmpeg_ebur128(wav)
    assert ours.integrated == pytest.approx(ref["I"], abs=0.1)
    assert ours.true_peak == pytest.approx(ref["Peak"], abs=0.2)
    assert ours.lra == pytest.approx(ref["LRA"], abs=0.3)  # ffmpeg bins LRA at 0.1 LU


def test_chunked_measurement_is_identical_to_one_pass() -> None:
    x = speech(44100, 2, seconds=6.0)
    one = measure_blocks(x, 44100, chunk=x.shape[0])
    many = measure_blocks(x, 44100, chunk=12345)
    np.testing.assert_allclose(many.energy, one.energy, rtol=1e-9)
    # the polyphase product's rows fall differently: float32 rounding only
    np.testing.assert_allclose(many.true_peak, one.true_peak, rtol=1e-6)


def test_true_peak_sees_the_peak_between_samples() -> None:
    rate = 48000
    t = np.arange(rate * 2)
    # fs/4 sine sampled 45 degrees off its crests: samples at +-0.707, the wave at 1.0
    wave = 0.5 * np.sin(np.pi / 2 * t + np.pi / 4)
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 4800)  # no Gibbs ringing at the ends
    x = (wave * fade).astype(np.float32)[:, None]
    m = measure(Audio(x, rate))
    assert m.sample_peak == pytest.approx(20 * np.log10(0.5 * np.sqrt(0.5)), abs=0.01)
    assert m.true_peak == pytest.approx(20 * np.log10(0.5), abs=0.1)


def test_dual_mono_counts_a_mono_signal_on_both_speakers() -> None:
    mono = speech(44100, 1, seconds=8.0)
    as_mono = measure(Audio(mono, 44100))
    dual = measure(Audio(mono, 44100), dual_mono=True)
    stereo = measure(Audio(np.repeat(mono, 2, axis=1), 44100))
    assert dual.integrated == pytest.approx(stereo.integrated, abs=0.001)
    assert dual.integrated - as_mono.integrated == pytest.approx(3.01, abs=0.01)


def test_silence_measures_minus_infinity_without_error() -> None:
    m = measure(Audio(np.zeros((44100 * 2, 2), np.float32), 44100))
    assert m.integrated == float("-inf")
    assert m.true_peak == float("-inf")
    assert m.lra == 0.0


def test_under_400_ms_is_too_short_to_measure() -> None:
    with pytest.raises(LoudnessError, match="too short to measure: gating needs at least 400"):
        measure(Audio(speech(44100, 2, seconds=0.3, lufs=None), 44100))


def test_short_term_curve_follows_a_level_step() -> None:
    rate = 16000
    rng = np.random.default_rng(3)
    noise = rng.standard_normal((rate * 12, 1)).astype(np.float32)
    noise[: rate * 6] *= 0.01
    noise[rate * 6:] *= 0.1
    m = measure(Audio(noise, rate))
    assert m.short_term_step == 1.0
    assert len(m.short_term) == 10  # 3 s windows every second over 12 s
    assert m.short_term[-1] - m.short_term[0] == pytest.approx(20.0, abs=0.3)
    assert m.lra == pytest.approx(20.0, abs=1.0)


# --------------------------------------------------------------------------- presets


def test_presets_are_data_files_with_documented_targets() -> None:
    assert set(known_presets()) >= {"podcast", "podcast-mono", "ebu-r128", "streaming"}
    got = {n: (load_preset(n).target, load_preset(n).ceiling) for n in
           ("podcast", "podcast-mono", "ebu-r128", "streaming")}
    assert got == {"podcast": (-16, -1), "podcast-mono": (-19, -1), "ebu-r128": (-23, -1),
                   "streaming": (-14, -1)}
    assert load_preset("podcast-mono").channels == 1


def test_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(LoudnessError, match="unknown loudness preset 'loud'.*podcast-mono"):
        load_preset("loud")


# --------------------------------------------------------------------------- limiter


def test_reduction_curve_covers_every_peak_and_moves_smoothly() -> None:
    need = np.zeros(2000)
    need[[300, 305, 900, 1500]] = [6.0, 9.0, 3.0, 12.0]
    red = reduction_curve(need)
    assert np.all(red >= need - 1e-9)
    assert np.all(red[np.r_[299:302, 304:307]] >= np.maximum.reduce([need[298:303].max()]))
    # the gain glides: at most a look-ahead's share of the largest peak per block
    steps = np.abs(np.diff(red))
    assert steps.max() <= 12.0 / (LOOKAHEAD_MS + 1) + 1e-9
    assert red[:250].max() == 0.0 and red[-300:].max() == 0.0
    # after the last peak the release runs at RELEASE_DB_PER_S
    after = red[1500 + HOLD_MS + LOOKAHEAD_MS + 3: 1500 + 40]
    np.testing.assert_allclose(-np.diff(after), RELEASE_DB_PER_S / 1000.0, atol=1e-5)  # f32
    assert np.all(reduction_curve(np.zeros(100)) == 0.0)


# --------------------------------------------------------------------------- normalize


def test_normalize_reaches_target_and_ceiling_without_mp3_allowance() -> None:
    x = speech(44100, 2, seconds=12.0, lufs=-30.0)
    before = x.copy()
    out, info = normalize(Audio(x, 44100), target=-16.0, ceiling=-1.0, bitrate_kbps=None)
    np.testing.assert_array_equal(x, before)  # the input is never modified
    lufs = pyln.Meter(44100, filter_class="DeMan").integrated_loudness(
        out.samples.astype(np.float64))
    assert lufs == pytest.approx(-16.0, abs=0.1)
    tp = max(np.abs(resample_poly(out.samples[:, c], 4, 1)).max() for c in range(2))
    assert 20 * np.log10(tp) <= -1.0 + 0.05
    assert info.gain_db == pytest.approx(14.0, abs=3.0)
    assert 0.0 < info.limiter_active_share < 1.0


def test_normalize_leaves_silence_alone_with_a_warning() -> None:
    x = np.zeros((44100 * 2, 1), np.float32)
    out, info = normalize(Audio(x, 44100))
    assert info.gain_db == 0.0
    assert any("silent" in w for w in info.warnings)
    np.testing.assert_array_equal(out.samples, x)


def test_normalize_removes_a_dc_offset() -> None:
    x = speech(22050, 1, seconds=8.0) + np.float32(0.2)
    out, info = normalize(Audio(x, 22050), bitrate_kbps=None)
    assert info.dc_offset[0] == pytest.approx(0.2, abs=0.01)
    assert any("DC offset" in w for w in info.warnings)
    assert abs(float(out.samples.mean())) < 1e-3
