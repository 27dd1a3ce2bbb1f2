"""The `batch` and `shownotes` commands without the model: help, exit codes, dry runs,
progress output, listing import and show-notes rendering."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_batch import tone, write_manifest

from audio_pipeline.batch.events import (
    BatchStarted,
    EpisodeDone,
    EpisodeFailed,
    EpisodeQueued,
    EpisodeStarted,
    StageStarted,
)
from audio_pipeline.cli import cli
from audio_pipeline.cli.progress import JsonLog, PlainLog, RichProgress
from audio_pipeline.pipeline import stage_fraction

LISTING = """Episodes
-
Summary of the first article.
Original text: https://example.com/blog/the-first-article
Author(s): Ada LovelaceA podcast by BlueDot Impact.
Learn more on the AI Safety Fundamentals website. -
Summary of the second one.
Source:
https://example.com/second-thing
Narrated for AI Safety Fundamentals by Perrin Walker of TYPE III AUDIO.
---
A podcast by BlueDot Impact.
Learn more on the AI Safety Fundamentals website. -
Summary of the first article.
Original text: https://example.com/blog/the-first-article
Author(s): Ada LovelaceA podcast by BlueDot Impact.
Learn more on the AI Safety Fundamentals website. -
"""


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("command", [["batch"], ["shownotes"], ["shownotes", "import"],
                                     ["shownotes", "render"]])
def test_every_command_has_help(command: list[str]):
    result = invoke(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_batch_help_lists_the_documented_options():
    text = invoke("batch", "--help").output
    for option in ("--out", "--jobs", "--force", "--dry-run", "--only", "--scheduler",
                   "--quiet", "--log-json"):
        assert option in text


def test_unparseable_manifest_is_a_usage_error(tmp_path: Path):
    bad = tmp_path / "m.toml"
    bad.write_text("[[episode]\naudio = 'x.wav'\n", encoding="utf-8")
    result = invoke("batch", str(bad), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "m.toml" in result.output and "TOML" in result.output
    assert invoke("batch", str(tmp_path / "nope.toml"), "--out", "o").exit_code == 2


def test_unknown_only_slug_is_a_usage_error(tmp_path: Path):
    manifest = write_manifest(tmp_path, ["a"])
    result = invoke("batch", str(manifest), "--out", str(tmp_path / "out"), "--only", "zzz")
    assert result.exit_code == 2 and "zzz" in result.output


def test_dry_run_reports_every_problem_and_writes_nothing(tmp_path: Path):
    manifest = write_manifest(tmp_path, ["good"], extra=(
        '[[episode]]\naudio = "corrupt.wav"\nslug = "corrupt"\ntitle = "C"\n\n'
        '[[episode]]\naudio = "gone.wav"\nslug = "gone"\ntitle = "G"\n'))
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunk" * 8)
    out = tmp_path / "out"
    result = invoke("batch", str(manifest), "--out", str(out), "--dry-run")
    assert result.exit_code == 1
    assert "corrupt.wav" in result.output and "gone.wav" in result.output
    assert "good\trun" in result.output
    assert not out.exists()

    clean = write_manifest(tmp_path, ["good"])
    assert invoke("batch", str(clean), "--out", str(out), "--dry-run").exit_code == 0
    assert not out.exists()


def test_json_log_lines_carry_time_slug_event_and_stage():
    lines: list[str] = []
    log = JsonLog(lines.append)
    log(StageStarted(slug="ep", stage="transcribe", time=0.0))
    log(EpisodeDone(slug="ep", seconds=1.5))
    docs = [json.loads(line) for line in lines]
    assert docs[0] == {"time": "1970-01-01T00:00:00.000+00:00", "slug": "ep",
                       "event": "stage", "stage": "transcribe"}
    assert docs[1]["event"] == "done" and docs[1]["seconds"] == 1.5


def test_plain_log_shows_stages_failures_and_an_eta():
    lines: list[str] = []
    log = PlainLog(lines.append)
    now = time.time()
    for event in [BatchStarted(episodes=2, to_run=2, jobs=2),
                  EpisodeQueued(slug="a", duration=60.0),
                  EpisodeQueued(slug="b", duration=60.0),
                  EpisodeStarted(slug="a", pid=1, host="h", time=now - 10),
                  StageStarted(slug="a", stage="transcribe"),
                  EpisodeDone(slug="a", seconds=10.0, time=now),
                  EpisodeFailed(slug="b", error="b.wav: broken [media]")]:
        log(event)
    text = "\n".join(lines)
    assert "2 to run with 2 worker(s)" in text and "[a] transcribe" in text
    assert "[a] ok in 10.0 s (1/2, ETA 0:10)" in text
    assert "[b] FAILED: b.wav: broken [media]" in text


def test_rich_progress_draws_bars_and_tolerates_late_events():
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100)
    with RichProgress(console) as progress:
        progress(BatchStarted(to_run=1))
        progress(EpisodeQueued(slug="ep", duration=10.0))
        progress(EpisodeStarted(slug="ep"))
        progress(StageStarted(slug="ep", stage="loudness"))
        assert progress.credited["ep"] == pytest.approx(stage_fraction("loudness"))
        progress(EpisodeDone(slug="ep", seconds=2.0))
        progress(StageStarted(slug="ep", stage="publish"))  # late, from the receiver thread
        progress(EpisodeStarted(slug="ep"))
        assert not progress.tasks
    assert "ok" in buffer.getvalue() and "ep" in buffer.getvalue()


def test_shownotes_import_reports_counts_and_duplicates(tmp_path: Path):
    listing = tmp_path / "listing.txt"
    listing.write_text(LISTING, encoding="utf-8")
    manifest = tmp_path / "m.toml"
    result = invoke("shownotes", "import", str(listing), "-o", str(manifest))
    assert result.exit_code == 0, result.output
    assert "2 episode(s), 1 duplicate(s) left out, 2 provisional title(s)" in result.output
    assert f"{listing}:14 repeats the entry at line 3" in result.output
    text = manifest.read_text(encoding="utf-8")
    assert text.count("[[episode]]") == 2 and "the-first-article" in text


def test_shownotes_render_prints_text_or_html(tmp_path: Path):
    tone(tmp_path / "a.wav")
    manifest = tmp_path / "m.toml"
    manifest.write_text(
        '[[episode]]\naudio = "a.wav"\nslug = "first"\ntitle = "First"\n'
        'summary = "Summary of the first article."\n'
        'source_url = "https://example.com/first"\nauthors = ["Ada Lovelace"]\n\n'
        '[[episode]]\naudio = "b.wav"\nslug = "second"\ntitle = "Second"\n'
        'summary = "Another one."\n', encoding="utf-8")
    text = invoke("shownotes", "render", str(manifest), "--slug", "first")
    assert text.exit_code == 0, text.output
    assert text.output.startswith("Summary of the first article.\n")
    assert "Original text: https://example.com/first" in text.output
    assert "Author(s): Ada Lovelace" in text.output

    html = invoke("shownotes", "render", str(manifest), "--html")
    assert html.exit_code == 0
    assert "<!-- first -->" in html.output and "<!-- second -->" in html.output
    assert '<a href="https://example.com/first">' in html.output

    missing = invoke("shownotes", "render", str(manifest), "--slug", "nope")
    assert missing.exit_code == 1 and "nope" in missing.output
