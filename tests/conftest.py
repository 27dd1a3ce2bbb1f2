"""Shared test fixtures: where the shared data lives, and speech made with espeak-ng."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLES = REPO / "samples"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "data" / "sonnet-001").is_dir():
        pytest.skip(f"shared data not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


def synthesize(text: str, dest: Path, speed: int = 160) -> Path:
    """Speech from espeak-ng as a WAV file (22.05 kHz mono)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    subprocess.run(
        ["espeak-ng", "-s", str(speed), "-w", str(dest), text], check=True, capture_output=True
    )
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
