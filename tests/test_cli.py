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
