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
        "check",
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


def test_tag_from_a_manifest_ignores_problems_of_other_episodes(tmp_path):
    # Regression: one bad source_url anywhere in the manifest refused `tag --slug` for
    # every other, valid episode.
    import json
    import subprocess

    mp3 = tmp_path / "ep.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(_tone(tmp_path / "t.wav", 1.0)), "-c:a",
                    "libmp3lame", str(mp3)], check=True)
    manifest = tmp_path / "m.toml"
    manifest.write_text(
        '[[episode]]\naudio = "ep.mp3"\ntitle = "Good One"\n\n'
        '[[episode]]\naudio = "ep.mp3"\ntitle = "Bad One"\nsource_url = "not a url"\n'
    )
    good = CliRunner().invoke(cli, ["tag", str(mp3), "--manifest", str(manifest),
                                    "--slug", "good-one"])
    assert good.exit_code == 0, good.output
    shown = CliRunner().invoke(cli, ["inspect", str(mp3), "--json"])
    assert json.loads(shown.output)["tags"]["title"] == "Good One"
    bad = CliRunner().invoke(cli, ["tag", str(mp3), "--manifest", str(manifest),
                                   "--slug", "bad-one"])
    assert bad.exit_code == 1 and "source_url" in bad.output


def test_loudness_and_inspect_json_of_silence_are_strict_json(tmp_path):
    # Regression: silence measured -inf and `--json` wrote -Infinity, which is not JSON.
    import json
    import subprocess

    silent = _tone(tmp_path / "silent.wav", 1.0, amplitude=0.0)
    mp3 = tmp_path / "silent.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(silent), "-c:a", "libmp3lame", str(mp3)],
                   check=True)

    def strict(text):
        return json.loads(text, parse_constant=lambda c: pytest.fail(f"not JSON: {c}"))

    result = CliRunner().invoke(cli, ["loudness", str(silent), "--json"])
    assert result.exit_code == 0, result.output
    [doc] = strict(result.stdout)
    assert doc["integrated"] is None and doc["gain_needed"] is None
    shown = CliRunner().invoke(cli, ["inspect", str(mp3), "--json"])
    assert shown.exit_code == 0, shown.output
    assert strict(shown.stdout)["loudness"]["integrated"] is None


def test_retag_with_one_flag_keeps_the_other_tags(tmp_path):
    # Regression: `tag ep.mp3 --author X` rewrote every owned frame from the flags alone,
    # wiping the title, summary, source URL and episode number the file already had.
    import json
    import subprocess

    mp3 = tmp_path / "ep.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(_tone(tmp_path / "t.wav", 1.0)), "-c:a",
                    "libmp3lame", str(mp3)], check=True)
    first = CliRunner().invoke(cli, ["tag", str(mp3), "--title", "Kept Title", "--summary", "S",
                                     "--source-url", "https://example.org/k",
                                     "--episode-number", "7", "--date", "2024-01-05"])
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(cli, ["tag", str(mp3), "--author", "New Author"])
    assert second.exit_code == 0, second.output
    tags = json.loads(CliRunner().invoke(cli, ["inspect", str(mp3), "--json"]).stdout)["tags"]
    assert tags["authors"] == ["New Author"]
    assert (tags["title"], tags["summary"], tags["source_url"]) == (
        "Kept Title", "S", "https://example.org/k")
    assert (tags["episode_number"], tags["date"]) == (7, "2024-01-05")


def test_retag_keeps_the_chapters_and_transcript_process_wrote(tmp_path):
    # Regression: `tag` (with flags or --manifest) dropped the CHAP/CTOC chapters, the
    # USLT transcript (which only `process` can make) and the cover art.
    import json
    import subprocess

    from audio_pipeline.metadata.tags import write_tags
    from audio_pipeline.types import ChapterMark, EpisodeMeta

    mp3 = tmp_path / "ep.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(_tone(tmp_path / "t.wav", 2.0)), "-c:a",
                    "libmp3lame", str(mp3)], check=True)
    cover = tmp_path / "cover.png"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=64x64",
                    "-frames:v", "1", str(cover)], check=True)
    write_tags(mp3, EpisodeMeta(title="T", cover=cover), transcript_text="Hello there.",
               chapters=[ChapterMark("One", 0.0, 1.0), ChapterMark("Two", 1.0, 2.0)])
    result = CliRunner().invoke(cli, ["tag", str(mp3), "--title", "Fixed typo"])
    assert result.exit_code == 0, result.output
    tags = json.loads(CliRunner().invoke(cli, ["inspect", str(mp3), "--json"]).stdout)["tags"]
    assert tags["title"] == "Fixed typo"
    assert [c["title"] for c in tags["chapters"]] == ["One", "Two"]
    assert tags["transcript"] == "Hello there."
    assert tags["cover"]["bytes"] == cover.stat().st_size
