"""Test fixtures: samples, speech made with espeak-ng, an isolated cache; and, for CI,
a run that fails when any test was skipped."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
NO_SKIPS_ENV = "AUDIO_PIPELINE_NO_SKIPS"


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


def synthesize(text: str, dest: Path, speed: int = 160, voice: str | None = None) -> Path:
    """Speech from espeak-ng as a WAV file (22.05 kHz mono); ``voice`` e.g. "fr"."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    args = ["espeak-ng", "-s", str(speed), "-w", str(dest)] + (["-v", voice] if voice else [])
    subprocess.run([*args, "--", text], check=True, capture_output=True)
    return dest


@pytest.fixture(scope="session")
def isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder for the session, so tests never read a developer's cache.

    The converted Whisper model is cached here once per session (conversion takes seconds).
    """
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _cache_env(isolated_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIO_PIPELINE_CACHE", str(isolated_cache))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With $AUDIO_PIPELINE_NO_SKIPS set (.ci/run sets it), a skipped test fails the run:
    the suite is self-contained, so a skip means a fixture or a tool went missing."""
    if not os.environ.get(NO_SKIPS_ENV):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped:
        for report in skipped:
            reporter.write_line(f"SKIPPED (not allowed in CI): {report.nodeid}: {report.longrepr}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


HOSTILE_TITLE = '<script>alert(1)</script> & "quotes"'
FEED_BASE_URL = "https://cdn.example.org/podcast"
SAMPLE_TITLE = "Compute Trends Across Three Eras of Machine Learning"


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory, isolated_cache: Path) -> Path:
    """One real batch through the real model (tests/test_publish_*): the bundled sample,
    and the same recording (a copy) under a hostile title, with a feed base URL. The
    transcript is cached by content, so the model transcribes once (and not at all when
    tests/test_e2e.py ran first in the session)."""
    from click.testing import CliRunner

    from audio_pipeline.cli import cli

    work = tmp_path_factory.mktemp("published")
    sample = SAMPLES / "compute-trends"
    copy = work / "hostile.ogg"
    shutil.copyfile(sample / "narration.ogg", copy)
    rows = [f'[podcast]\nfeed_base_url = "{FEED_BASE_URL}"\nnarrator = "Perrin Walker"\n']
    for slug, audio, title in (("compute-trends", sample / "narration.ogg", SAMPLE_TITLE),
                               ("hostile", copy, HOSTILE_TITLE)):
        rows.append(
            f'[[episode]]\nslug = "{slug}"\naudio = "{audio}"\nsource = "{sample / "article.md"}"\n'
            f"title = '{title}'\nauthors = ['Jaime Sevilla', 'Lennart Heim']\n"
            'source_url = "https://epochai.org/blog/compute-trends"\n')
    manifest = work / "manifest.toml"
    manifest.write_text("\n".join(rows), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:  # session scope: the autouse env is not set yet
        mp.setenv("AUDIO_PIPELINE_CACHE", str(isolated_cache))
        result = CliRunner().invoke(
            cli, ["batch", str(manifest), "--out", str(work / "out"), "--jobs", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    return work / "out"
