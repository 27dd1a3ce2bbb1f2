"""An installed wheel (`pip install`, not `-e`) finds its templates, presets and default
config through the package alone: `process` on a sample from another folder, with no
`$AUDIO_PIPELINE_CONFIG`, writes the show notes and the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "compute-trends"


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)  # type: ignore
    assert proc.returncode == 0, f"{cmd[:4]}...\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.mark.slow
def test_installed_wheel_processes_a_sample_from_another_folder(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    # The wheel is built from a copy of the sources' tracked layout by this environment's
    # pip (no build isolation: nothing is downloaded).
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--disable-pip-version-check", "-q", "-w", str(dist), str(REPO)],
         cwd=tmp_path)
    wheel = next(dist.glob("audio_pipeline-*.whl"))

    fresh = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(fresh)])
    python = fresh / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
                     ).stdout.strip())
    # The heavy dependencies (torch, whisper) come from this environment, appended after
    # the fresh venv's own site-packages; its .pth files (this checkout's editable
    # install among them) are not processed, so only the wheel can provide the package.
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q",
          "--disable-pip-version-check", str(wheel)])

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("AUDIO_PIPELINE_CONFIG", "PYTHONPATH")}
    where = _run([str(python), "-c", "import audio_pipeline; print(audio_pipeline.__file__)"],
                 cwd=elsewhere, env=env).stdout.strip()
    assert Path(where).is_relative_to(site), where

    _run([str(fresh / "bin" / "audio-pipeline"), "process", str(SAMPLE / "narration.ogg"),
          "--source", str(SAMPLE / "article.md"), "--title", "Compute Trends",
          "--author", "Jaime Sevilla", "--source-url", "https://epochai.org/blog/compute-trends",
          "--out", "out"], cwd=elsewhere, env=env)
    folder = elsewhere / "out" / "compute-trends"
    notes = (folder / "compute-trends.shownotes.txt").read_text("utf-8")
    # the packaged defaults (config) and templates (show notes) were found
    assert "Narrated for AI Safety Fundamentals by Perrin Walker" in notes
    assert "Original text: https://epochai.org/blog/compute-trends" in notes
    assert "<html" in (folder / "compute-trends.report.html").read_text("utf-8").lower()
    result = json.loads((folder / "compute-trends.result.json").read_text("utf-8"))
    assert result["status"] == "ok" and result["loudness"]["preset"] == "podcast"
