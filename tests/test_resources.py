"""Resources: a hung ffmpeg or ffprobe is stopped with a clear error, a full disk leaves
nothing partial, and what killed runs leave behind is removed at the next start."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audio_pipeline import fsutil
from audio_pipeline.errors import OutputError


def _fake_tool(folder: Path, name: str, body: str) -> None:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def _m4a(dest: Path) -> Path:
    # libsndfile cannot read AAC, so ffprobe and ffmpeg are what decode it
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                    "sine=frequency=300:duration=2", "-c:a", "aac", str(dest)], check=True)
    return dest


@pytest.mark.parametrize("hung, message", [
    ("ffprobe", "ffprobe did not answer in 1 s and was stopped"),
    ("ffmpeg", "ffmpeg gave no audio for 1 s and was stopped"),
])
def test_a_hung_tool_is_stopped_with_a_clear_error(tmp_path: Path, hung: str, message: str):
    clip = _m4a(tmp_path / "clip.m4a")
    fake = tmp_path / "bin"
    real = {t: subprocess.run(["which", t], capture_output=True, text=True).stdout.strip()
            for t in ("ffmpeg", "ffprobe")}
    for tool in ("ffmpeg", "ffprobe"):  # the hung one sleeps, the other is the real one
        _fake_tool(fake, tool, "exec sleep 60" if tool == hung else f'exec {real[tool]} "$@"')
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}",
           "AUDIO_PIPELINE_FFMPEG_TIMEOUT": "1"}
    began = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "audio_pipeline", "process", str(clip),
                           "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert time.monotonic() - began < 60
    assert proc.returncode == 1, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if not ln.startswith("[")]
    assert errors == [f"error: {clip}: {message} [media]"], proc.stderr
    assert not any((tmp_path / "out").iterdir()) if (tmp_path / "out").exists() else True


def test_a_full_disk_is_one_error_and_leaves_nothing_partial(tmp_path: Path, monkeypatch):
    dest = tmp_path / "episode.srt"
    dest.write_text("the old captions\n")
    real_write = Path.write_text

    def full(self: Path, text: str, *args, **kwargs):
        real_write(self, text[: len(text) // 2], *args, **kwargs)  # half, then the disk fills
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(OutputError) as caught:
        fsutil.write_text(dest, "new captions " * 100)
    monkeypatch.undo()
    assert caught.value.one_line() == f"{dest}: cannot write: No space left on device [output]"
    assert dest.read_text() == "the old captions\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["episode.srt"]


def test_staging_left_by_a_killed_run_is_removed_at_the_next_start(tmp_path: Path):
    final = tmp_path / "out" / "episode"
    dead = subprocess.Popen(["true"])
    dead.wait()
    orphan = tmp_path / "out" / f".episode.{dead.pid}-abc123.partial"
    (orphan / "sub").mkdir(parents=True)
    (orphan / ".mp3-1-x.part").write_bytes(b"half an mp3")
    running = tmp_path / "out" / f".episode.{os.getpid()}-def456.partial"
    running.mkdir()
    staging = fsutil.staging_dir(final)
    assert not orphan.exists()
    assert running.is_dir()  # a live run's folder is never taken from it
    assert staging.name.startswith(f".episode.{os.getpid()}-")


def _mount_tmpfs(folder: Path, size: str) -> bool:
    folder.mkdir()
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True).returncode == 0


@pytest.mark.slow
def test_a_real_full_disk_stops_process_with_one_line(tmp_path: Path, monkeypatch) -> None:
    """--out on a 40 kB tmpfs (where this machine lets us mount one; else ENOSPC is
    injected into every file write under --out): ffmpeg exits 0 when it cannot write the
    MP3, so the encoder's own message must be read, and nothing partial may stay."""
    from click.testing import CliRunner
    from conftest import synthesize

    from audio_pipeline.cli import cli

    clip = synthesize("The disk is full today.", tmp_path / "full.wav")
    disk = tmp_path / "disk"
    mounted = _mount_tmpfs(disk, "40k")
    if not mounted:
        real_write = Path.write_text

        def full(self: Path, *args, **kwargs):
            if disk in self.parents:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
            return real_write(self, *args, **kwargs)

        monkeypatch.setattr(Path, "write_text", full)
    try:
        result = CliRunner().invoke(cli, ["process", str(clip), "--out", str(disk / "out")])
        leftovers = [p for p in (disk / "out").rglob("*")] if (disk / "out").exists() else []
    finally:
        if mounted:
            subprocess.run(["umount", str(disk)], check=True)
    print(f"\nfull disk: {'tmpfs of 40 kB' if mounted else 'injected ENOSPC'}")
    assert result.exit_code == 1, result.output
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "No space left on device" in errors[0], result.stderr
    assert "Traceback" not in result.output
    assert not leftovers, leftovers
