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
