"""End to end: a real sample through the real model and every stage, via the CLI."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from click.testing import CliRunner

from audio_pipeline.cli import cli

pytestmark = pytest.mark.slow


def _referee(mp3) -> tuple[float, float]:
    """ffmpeg's ebur128 filter, independent of our loudness code: (integrated LUFS, true peak)."""
    proc = subprocess.run(
        [
            "ffmpeg",
            "-nostats",
            "-hide_banner",
            "-i",
            str(mp3),
            "-af",
            "ebur128=peak=true",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = proc.stderr[proc.stderr.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    return integrated, peak


# Both engines pass the same end-to-end checks: nothing downstream can tell them apart.
@pytest.fixture(scope="module", params=["openai-whisper", "faster-whisper"])
def processed(request, tmp_path_factory, samples_dir, isolated_cache):
    out = tmp_path_factory.mktemp("out")
    sample = samples_dir / "compute-trends"
    args = [
        "process",
        "--engine",
        request.param,
        str(sample / "narration.ogg"),
        "--source",
        str(sample / "article.md"),
        "--title",
        "Compute Trends Across Three Eras of Machine Learning",
        "--author",
        "Jaime Sevilla",
        "--author",
        "Lennart Heim",
        "--source-url",
        "https://epochai.org/blog/compute-trends",
        "--out",
        str(out),
        "--summary",
        "This article explains key drivers of AI progress, explains how compute "
        "is calculated, as well as looks at how the amount of compute used to train AI "
        "models has increased significantly in recent years.",
    ]
    # a module fixture runs before the autouse cache env is set: set it here, so the run
    # never reads a developer's cache and leaves the transcript for later tests to reuse
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AUDIO_PIPELINE_CACHE", str(isolated_cache))
        result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out / "compute-trends-across-three-eras-of-machine-learning", result.output


def test_process_writes_every_output(processed):
    folder, output = processed
    slug = folder.name
    for suffix in (
        ".mp3",
        ".srt",
        ".vtt",
        ".txt",
        ".json",
        ".alignment.json",
        ".narration.md",
        ".shownotes.txt",
        ".shownotes.html",
        ".result.json",
        ".report.html",
        ".chapters.vtt",
        ".transcript.json",
        ".chapters.json",
        ".html",
        ".xml",
    ):
        path = folder / f"{slug}{suffix}"
        assert path.is_file() and path.stat().st_size > 0, path
    assert f"outputs: {folder}" in output.splitlines()[-1]
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


def test_mp3_meets_the_podcast_loudness_target_by_the_referee(processed):
    folder, _ = processed
    integrated, peak = _referee(folder / f"{folder.name}.mp3")
    assert abs(integrated - -16.0) <= 0.5
    assert peak <= -1.0


def test_audio_checks_are_in_result_json_and_the_report(processed):
    from audio_pipeline.types import EpisodeSummary

    folder, _ = processed
    doc = json.loads((folder / f"{folder.name}.result.json").read_text())
    checks = {c["name"]: c for c in doc["audio_checks"]}
    assert {"format", "noise_floor", "clipping", "head", "tail", "dead_air",
            "speaking_rate"} <= set(checks)
    assert 100 < checks["speaking_rate"]["value"] < 220  # article words per minute
    assert checks["clipping"]["status"] == "pass"
    again = EpisodeSummary.from_json(doc)
    assert [c.name for c in again.audio_checks] == [c["name"] for c in doc["audio_checks"]]
    html = (folder / f"{folder.name}.report.html").read_text()
    assert "Audio checks (" in html and "speaking_rate" in html


def test_mp3_is_tagged(processed):
    from mutagen.id3 import ID3

    folder, _ = processed
    tags = ID3(folder / f"{folder.name}.mp3")
    assert str(tags["TIT2"]) == "Compute Trends Across Three Eras of Machine Learning"
    assert "Jaime Sevilla" in tags["TPE1"].text
    assert str(tags["TCOM"]) == "Perrin Walker"
    assert tags.getall("WOAS")[0].url == "https://epochai.org/blog/compute-trends"


def test_transcript_uses_the_article_spelling_and_times_are_sane(processed):
    folder, _ = processed
    doc = json.loads((folder / f"{folder.name}.json").read_text())
    text = " ".join(s["text"] for s in doc["segments"])
    assert "Moore's law" in text
    words = [w for s in doc["segments"] for w in s["words"]]
    starts = [w["start"] for w in words]
    assert starts == sorted(starts)
    assert 0 <= starts[0] and words[-1]["end"] <= doc["duration"] + 0.5
    srt = (folder / f"{folder.name}.srt").read_text()
    assert srt.startswith("1\n00:00:")


def test_alignment_reads_the_whole_article(processed):
    folder, _ = processed
    doc = json.loads((folder / f"{folder.name}.alignment.json").read_text())
    assert set(doc) == {"coverage", "match", "sentences", "words", "issues", "summary", "chapters"}
    assert doc["match"] == "ok"
    assert doc["coverage"] >= 0.9
    assert doc["summary"]["found"]
    assert [c["title"] for c in doc["chapters"]][-2:] == [
        "Compute Trends Across Three Eras of Machine Learning",
        "Three eras",
    ]
    assert any(i["type"] == "intro" for i in doc["issues"])
