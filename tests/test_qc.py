"""Audio checks on recordings with known faults: noise floor, hum, room-tone step, clips,
DC, head and tail silence, dead air, speaking rate, a dead channel; and `audio-pipeline
check` (table, --json, exit 1 on a failed check)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from test_loudness import speech

from audio_pipeline.cli import cli
from audio_pipeline.errors import ConfigError
from audio_pipeline.qc import batch_consistency, check_audio, load_profile, probe_format
from audio_pipeline.types import AudioCheck

RATE = 44100


def _noise(seconds: float, db: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(int(seconds * RATE)) * 10 ** (db / 20)).astype(np.float32)


def _voice(seconds: float = 3.0) -> np.ndarray:
    return speech(RATE, 1, seconds=seconds, lufs=-20.0)[:, 0]


def _episode(head: float = 0.8, tail: float = 2.0, floor: tuple[float, float] = (-65, -65),
             gap: float = 1.0) -> np.ndarray:
    """head room tone, speech, pause, speech, pause, speech, tail; the room tone of the
    first half is floor[0] dBFS RMS and of the second floor[1] (an edit between)."""
    parts = [_noise(head, floor[0], 1), _voice(), _noise(gap, floor[0], 2), _voice(),
             _noise(gap, floor[1], 3), _voice(), _noise(tail, floor[1], 4)]
    return np.concatenate(parts)


def _by_name(checks: tuple[AudioCheck, ...]) -> dict[str, AudioCheck]:
    return {c.name: c for c in checks}


@pytest.fixture(scope="module")
def acx():
    return load_profile("acx")


def test_known_noise_floor_head_and_tail_are_measured(acx) -> None:
    checks = _by_name(check_audio(_episode(head=0.8, tail=2.0, floor=(-65, -65)), RATE, acx))
    assert checks["noise_floor"].value == pytest.approx(-65.0, abs=1.5)
    assert checks["noise_floor"].status == "pass"  # ACX: <= -60
    assert checks["head"].value == pytest.approx(0.8, abs=0.1)
    assert checks["head"].status == "pass"
    assert checks["tail"].value == pytest.approx(2.0, abs=0.1)
    assert checks["tail"].status == "pass"
    assert checks["room_tone"].status == "pass"
    assert checks["clipping"].status == "pass" and checks["dead_air"].status == "pass"


def test_a_noisy_room_and_short_head_fail_acx(acx) -> None:
    checks = _by_name(check_audio(_episode(head=0.2, tail=0.5, floor=(-50, -50)), RATE, acx))
    assert checks["noise_floor"].value == pytest.approx(-50.0, abs=1.5)
    assert checks["noise_floor"].status == "fail"
    assert checks["head"].status == "fail" and checks["tail"].status == "fail"


def test_a_room_tone_step_at_an_edit_is_found_with_its_time(acx) -> None:
    x = _episode(floor=(-70, -56))
    checks = _by_name(check_audio(x, RATE, acx))
    step = checks["room_tone"]
    assert step.status == "fail"
    assert step.value == pytest.approx(14.0, abs=2.0)
    edit = 0.8 + 3.0 + 1.0 + 3.0  # the second pause, where the room tone changes
    assert any(abs(t - edit) < 0.2 for t in step.times)


def test_clips_are_counted_with_their_times(acx) -> None:
    x = _episode()
    for t in (1.5, 5.0):  # three-sample runs at full scale inside the speech
        i = int(t * RATE)
        x[i:i + 3] = 1.0
    checks = _by_name(check_audio(x, RATE, acx))
    clip = checks["clipping"]
    assert clip.status == "fail" and clip.value == 2.0
    assert clip.times == pytest.approx((1.5, 5.0), abs=1e-3)


def test_dead_air_uses_the_long_pause_definition() -> None:
    x = _episode(gap=6.0)
    profile = load_profile("podcast", long_pause=5.0)
    dead = _by_name(check_audio(x, RATE, profile))["dead_air"]
    assert dead.status == "fail" and dead.value == pytest.approx(6.0, abs=0.2)
    assert dead.times[0] == pytest.approx(3.8, abs=0.2)
    longer = load_profile("podcast", long_pause=8.0)
    assert _by_name(check_audio(x, RATE, longer))["dead_air"].status == "pass"


def test_hum_dc_and_a_dead_channel(acx) -> None:
    x = _episode()
    t = np.arange(x.shape[0]) / RATE
    hummed = x + np.float32(10 ** (-55 / 20) * np.sqrt(2)) * np.sin(2 * np.pi * 60 * t)
    hum = _by_name(check_audio(hummed.astype(np.float32), RATE, acx))["hum"]
    assert hum.status == "fail" and "60 Hz" in hum.detail
    assert hum.value == pytest.approx(-55.0, abs=1.5)
    assert _by_name(check_audio(x, RATE, acx))["hum"].status == "pass"
    dc = _by_name(check_audio(x + np.float32(0.05), RATE, acx))["dc_offset"]
    assert dc.status == "fail" and dc.value == pytest.approx(-26.0, abs=0.5)
    stereo = np.stack([x, np.zeros_like(x)], axis=1)
    ch = _by_name(check_audio(stereo, RATE, acx))["channels"]
    assert ch.status == "fail" and "dead channel(s): 2" in ch.detail


def test_speaking_rate_against_the_article(acx) -> None:
    x = _episode()  # 9 s of speech between head and tail
    ok = _by_name(check_audio(x, RATE, acx, article_words=25))["speaking_rate"]
    assert ok.status == "pass" and ok.value == pytest.approx(25 / (11.0 / 60), rel=0.1)
    rushed = _by_name(check_audio(x, RATE, acx, article_words=120))["speaking_rate"]
    assert rushed.status == "fail" and "cut or rushed" in rushed.detail


def test_profiles_and_limits_from_the_config() -> None:
    assert load_profile("acx").noise_floor_max_db == -60.0
    assert load_profile("podcast", {"noise_floor_max_db": -70}).noise_floor_max_db == -70.0
    with pytest.raises(ConfigError, match="noise_floor_max_db"):
        load_profile("podcast", {"noise_flor_max_db": -70})
    with pytest.raises(ConfigError, match="known: acx, podcast"):
        load_profile("audible")


def test_batch_consistency_names_the_odd_recordings(tmp_path: Path) -> None:
    x = _voice(1.0)
    sf.write(tmp_path / "a.wav", x, RATE, subtype="PCM_16")
    sf.write(tmp_path / "b.wav", x, RATE, subtype="PCM_16")
    sf.write(tmp_path / "c.wav", np.stack([x, x], 1), 48000, subtype="PCM_24")
    formats = [(p, probe_format(tmp_path / f"{p}.wav")) for p in "abc"]
    problems = batch_consistency(formats)
    assert len(problems) == 3 and all("c (" in p for p in problems)
    assert batch_consistency(formats[:2]) == []


def test_check_command_prints_a_table_json_and_exits_1_on_failure(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.wav", tmp_path / "bad.wav"
    sf.write(good, _episode(), RATE, subtype="PCM_16")
    noisy = _episode(floor=(-45, -45))
    noisy[int(2 * RATE):int(2 * RATE) + 4] = 1.0
    sf.write(bad, noisy, RATE, subtype="FLOAT")
    runner = CliRunner()
    ok = runner.invoke(cli, ["check", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "noise_floor" in ok.output and "head" in ok.output
    failed = runner.invoke(cli, ["check", str(good), str(bad), "--json"])
    assert failed.exit_code == 1
    docs = json.loads(failed.stdout)
    assert [d["ok"] for d in docs] == [True, False]
    bad_checks = {c["name"]: c for c in docs[1]["checks"]}
    assert bad_checks["noise_floor"]["status"] == "fail"
    assert bad_checks["clipping"]["times"] == [2.0]
    acx = runner.invoke(cli, ["check", str(good), "--profile", "acx"])
    assert "-23..-18" in acx.output  # ACX's RMS window is judged
    missing = runner.invoke(cli, ["check", str(tmp_path / "nope.wav")])
    assert missing.exit_code == 1 and "nope.wav" in missing.output


def test_the_producer_report_and_result_json_carry_the_checks() -> None:
    from audio_pipeline.publish.report import render_report
    from audio_pipeline.types import EpisodeMeta, EpisodeSummary

    checks = (AudioCheck("clipping", "fail", 2.0, "runs", "0", "2 run(s)", (1.5, 65.0)),
              AudioCheck("noise_floor", "pass", -66.2, "dBFS", "<= -60", "room tone"))
    summary = EpisodeSummary(slug="ep", audio=None, status="ok", audio_checks=checks)
    again = EpisodeSummary.from_json(json.loads(json.dumps(summary.to_json())))
    assert again.audio_checks == checks
    html = render_report(EpisodeMeta(title="T"), summary, alignment=None, segments=[],
                         verdict="v", files=[], mp3_name="ep.mp3")
    assert "Audio checks (1 failed)" in html
    assert 'data-t="65.0">01:05</button>' in html and "-66.2 dBFS" in html
