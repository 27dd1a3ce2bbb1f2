"""The leveler and the use of the headroom, judged by ffmpeg's ebur128 on the encoded MP3.

Every hard recording (tests/hard_inputs.py) must land within +-0.5 LU of -16 LUFS with a
true peak under -1 dBTP and within 0.6 dB of it; what the leveler did is checked too, so
a leveler that never engages (or flattens ordinary speech) fails.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hard_inputs import HARD, RATE, clicks
from test_loudness import ffmpeg_ebur128, speech

from audio_pipeline.loudness.leveler import plan_leveler
from audio_pipeline.loudness.meter import measure_blocks
from audio_pipeline.loudness.normalizer import normalize_and_encode
from audio_pipeline.metadata.config import load_config, with_overrides
from audio_pipeline.types import Audio

TARGET, CEILING = -16.0, -1.0


def _referee(mp3: Path) -> dict[str, float]:
    ref = ffmpeg_ebur128(mp3)
    assert ref["I"] == pytest.approx(TARGET, abs=0.5)
    assert ref["Peak"] <= CEILING
    return ref


@pytest.mark.parametrize("case", sorted(HARD))
def test_hard_recordings_reach_the_target_under_the_ceiling(tmp_path: Path, case: str) -> None:
    audio = Audio(HARD[case](), RATE)
    mp3 = tmp_path / f"{case}.mp3"
    report = normalize_and_encode(audio, mp3, preset="podcast")
    ref = _referee(mp3)
    assert ref["Peak"] >= CEILING - 0.6  # the headroom is used
    assert max(report.leveler_max_boost_db, report.leveler_max_cut_db) > 1.0
    assert any(w.startswith("leveler engaged") for w in report.warnings)
    if case in ("whisper", "drift"):  # the level differences are ridden out
        assert ref["LRA"] < 0.5 * report.input.lra
    if case == "whisper":
        assert report.leveler_max_boost_db > 15.0
    if case == "clicks":  # the tamer takes the thumps; the limiter no longer does it all
        assert report.leveler_max_cut_db > 15.0 and report.limiter_max_reduction_db < 8.0


def test_the_tamer_pulls_clicks_down_and_leaves_the_speech() -> None:
    x = clicks()
    plan = plan_leveler(measure_blocks(x, RATE))
    assert plan.tamed_db > 15.0
    # at the clicks (every 3 s from 1.3 s) the gain is far down; between them it is not
    at_click = plan.gain_db[1300 + np.arange(0, 7) * 3000 + 5]
    between = plan.gain_db[2800 + np.arange(0, 7) * 3000]
    assert np.all(at_click < -10.0)
    assert np.all(between > -3.0) and np.all(between < 6.0)


def test_ordinary_speech_keeps_the_plain_path_and_uses_the_headroom(tmp_path: Path) -> None:
    audio = Audio(speech(RATE, 1, seconds=16.0, lufs=-24.0), RATE)
    report = normalize_and_encode(audio, tmp_path / "plain.mp3", preset="podcast")
    ref = _referee(tmp_path / "plain.mp3")
    assert report.leveler_max_boost_db == report.leveler_max_cut_db == 0.0
    assert report.limiter_max_reduction_db > 0.05
    assert CEILING - 0.6 <= ref["Peak"] <= CEILING


def test_no_leveler_keeps_todays_behaviour(tmp_path: Path) -> None:
    audio = Audio(HARD["whisper"](), RATE)
    report = normalize_and_encode(audio, tmp_path / "off.mp3", preset="podcast", leveler=False)
    ref = _referee(tmp_path / "off.mp3")
    assert report.leveler_max_boost_db == report.leveler_max_cut_db == 0.0
    assert ref["LRA"] > 15.0  # the whisper stays a whisper
    assert any(w.startswith("wide loudness range") for w in report.warnings)


def test_the_config_and_the_command_line_turn_the_leveler_off() -> None:
    config = load_config()
    assert config.leveler is True
    assert with_overrides(config, leveler=False).leveler is False
