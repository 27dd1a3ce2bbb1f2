"""The command line: every command has help; bad input is one line and a non-zero exit."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from audio_pipeline.cli import cli


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


ALL_COMMANDS = sorted(_commands(cli))


def test_the_expected_commands_exist():
    names = {" ".join(c) for c in ALL_COMMANDS}
    for expected in (
        "process",
        "batch",
        "loudness",
        "tag",
        "inspect",
        "models list",
        "models export",
        "shownotes import",
    ):
        assert expected in names


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=" ".join)
def test_every_command_has_help(command):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_process_on_a_file_that_is_not_audio_is_one_line_and_exit_1(tmp_path):
    bogus = tmp_path / "notes.wav"
    bogus.write_text("this is not audio\n")
    before = bogus.read_bytes()
    result = CliRunner().invoke(cli, ["process", str(bogus), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and str(bogus) in lines[0]
    assert "Traceback" not in result.output
    assert bogus.read_bytes() == before
    assert not (tmp_path / "out" / "notes").exists()


def test_process_on_a_missing_file_names_it(tmp_path):
    missing = tmp_path / "nope.flac"
    result = CliRunner().invoke(cli, ["process", str(missing), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert str(missing) in result.output


def _tone(path, seconds=3.0, rate=44_100, amplitude=0.1):
    import numpy as np
    import soundfile as sf

    t = np.arange(int(rate * seconds)) / rate
    sf.write(path, (amplitude * np.sin(2 * np.pi * 440 * t)).astype("float32"), rate)
    return path


def test_loudness_json_reports_each_file_and_fails_on_a_bad_one(tmp_path):
    import json

    good = _tone(tmp_path / "tone.wav")
    bad = tmp_path / "bad.wav"
    bad.write_text("nope")
    result = CliRunner().invoke(cli, ["loudness", str(good), str(bad), "--json"])
    assert result.exit_code == 1
    [doc] = json.loads(result.stdout)
    assert doc["file"] == str(good)
    # A 0.1-amplitude sine reads about -23 LUFS (-20 dBFS RMS -3 dB, +0.7 K-weighting at 440 Hz)
    assert -24.5 < doc["integrated"] < -21.5
    assert abs(doc["gain_needed"] - (-16.0 - doc["integrated"])) < 1e-6
    assert str(bad) in result.stderr


def test_tag_then_inspect_round_trips_metadata(tmp_path):
    import json
    import subprocess

    mp3 = tmp_path / "ep.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(_tone(tmp_path / "t.wav")), "-c:a",
                    "libmp3lame", str(mp3)], check=True)
    tagged = CliRunner().invoke(cli, ["tag", str(mp3), "--title", "Épisode ✓", "--author", "A",
                                      "--author", "Б", "--source-url", "https://example.org/x"])
    assert tagged.exit_code == 0, tagged.output
    shown = CliRunner().invoke(cli, ["inspect", str(mp3), "--json"])
    assert shown.exit_code == 0, shown.output
    doc = json.loads(shown.output)
    assert doc["tags"]["title"] == "Épisode ✓"
    assert doc["tags"]["authors"] == ["A", "Б"]
    assert doc["tags"]["source_url"] == "https://example.org/x"
    assert doc["loudness"]["integrated"] < -15
