"""Batch orchestration with an injected per-episode function (no model): validation,
worker processes, crashes, resume, report. The real pipeline runs in test_batch_e2e.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audio_pipeline import fsutil
from audio_pipeline.batch.events import BatchEvent
from audio_pipeline.batch.plan import LOCK_NAME, clean_stale, default_jobs, exclusive
from audio_pipeline.batch.runner import REPORT_NAME, run_batch
from audio_pipeline.errors import BatchError
from audio_pipeline.metadata.config import PodcastConfig
from audio_pipeline.metadata.manifest import load_manifest
from audio_pipeline.pipeline import RESULT_SUFFIX, episode_fingerprint, result_summary
from audio_pipeline.types import Episode, EpisodeResult

# --------------------------------------------------------------------------- fake work
# Module level so spawned worker processes can import it. Its behaviour follows the slug.


def fake_episode(episode: Episode, config: PodcastConfig, out_dir: Path, on_stage) -> EpisodeResult:
    slug = episode.slug
    marker = Path(out_dir).parent / f"{slug}.attempts"
    attempt = int(marker.read_text()) + 1 if marker.exists() else 1
    marker.write_text(str(attempt))
    on_stage(slug, "decode")
    if slug.startswith("bug"):
        raise ZeroDivisionError(f"a bug while processing {slug}")
    if slug.startswith("die-always") or (slug.startswith("die-once") and attempt == 1):
        os.kill(os.getpid(), signal.SIGKILL)
    if slug.startswith("slow"):
        time.sleep(1.0)
    if slug.startswith("sleepy"):
        time.sleep(120)
    on_stage(slug, "transcribe")
    final = Path(out_dir) / slug
    staging = fsutil.staging_dir(final)
    fsutil.write_text(staging / f"{slug}.txt", f"{episode.meta.title}\n")
    on_stage(slug, "publish")
    result = EpisodeResult(episode=episode, status="ok", duration=0.5,
                           outputs={"txt": final / f"{slug}.txt"},
                           stage_seconds={"decode": 0.01}, warnings=(f"pid {os.getpid()}",))
    fsutil.write_text(staging / f"{slug}{RESULT_SUFFIX}",
                      json.dumps(result_summary(
                          result, episode_fingerprint(episode, config)).to_json()))
    fsutil.publish_dir(staging, final)
    return result


# --------------------------------------------------------------------------- helpers


def tone(path: Path, seconds: float = 0.5) -> Path:
    t = np.arange(int(16000 * seconds)) / 16000
    sf.write(path, (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000)
    return path


def write_manifest(tmp: Path, slugs: list[str], extra: str = "") -> Path:
    lines = []
    for slug in slugs:
        tone(tmp / f"{slug}.wav")
        lines += ["[[episode]]", f'audio = "{slug}.wav"', f'slug = "{slug}"',
                  f'title = "Title of {slug}"', ""]
    path = tmp / "manifest.toml"
    path.write_text("\n".join(lines) + extra, encoding="utf-8")
    return path


def run(tmp: Path, manifest_path: Path, **kw):
    manifest = load_manifest(manifest_path, PodcastConfig(), strict=False)
    events: list[BatchEvent] = []
    kw.setdefault("jobs", 2)
    report = run_batch(manifest, tmp / "out", episode_fn=fake_episode, use_cache=False,
                       on_event=events.append, **kw)
    return report, events


def by_slug(report) -> dict[str, dict]:
    return {d.slug: d.to_json() for d in report.episodes}


# --------------------------------------------------------------------------- tests


def test_default_jobs_is_bounded_by_cores_and_by_memory_per_model():
    assert default_jobs("tiny.en", cores=8, available_bytes=int(3.2e9)) == 2
    assert default_jobs("tiny.en", cores=2, available_bytes=int(100e9)) == 2
    assert default_jobs("tiny.en", cores=8, available_bytes=int(0.5e9)) == 1
    assert default_jobs("large-v3", cores=16, available_bytes=int(16e9)) == 1
    assert default_jobs("", cores=4, available_bytes=None) >= 1


def test_invalid_episodes_are_all_reported_and_the_others_run(tmp_path: Path):
    extra = ('[[episode]]\naudio = "corrupt.mp3"\nslug = "corrupt"\ntitle = "Corrupt"\n\n'
             '[[episode]]\naudio = "missing.wav"\nslug = "missing"\ntitle = "Missing"\n')
    (tmp_path / "corrupt.mp3").write_bytes(b"\x00not audio at all" * 64)
    path = write_manifest(tmp_path, ["one", "two", "three"], extra)
    report, events = run(tmp_path, path)

    docs = by_slug(report)
    assert {s: docs[s]["status"] for s in ("one", "two", "three")} == dict.fromkeys(
        ("one", "two", "three"), "ok")
    assert docs["corrupt"]["invalid"] and "corrupt.mp3" in docs["corrupt"]["error"]
    assert docs["missing"]["invalid"] and "missing.wav" in docs["missing"]["error"]
    assert report.counts == {"ok": 3, "skipped": 0, "failed": 0, "invalid": 2}
    assert not report.ok
    for slug in ("one", "two", "three"):
        assert (tmp_path / "out" / slug / f"{slug}.txt").read_text() == f"Title of {slug}\n"
    assert not (tmp_path / "out" / "corrupt").exists()
    written = json.loads((tmp_path / "out" / REPORT_NAME).read_text())
    assert written["counts"] == report.counts and written["finished"] and not written["pending"]
    assert {d["slug"] for d in written["episodes"][:2]} == {"corrupt", "missing"}
    # Invalid episodes are never attempted.
    assert not (tmp_path / "corrupt.attempts").exists()
    assert {e.slug for e in events if e.name == "invalid"} == {"corrupt", "missing"}


def test_a_bug_in_one_episode_is_recorded_with_type_and_message(tmp_path: Path):
    path = write_manifest(tmp_path, ["fine", "bug-here", "also-fine"])
    report, _ = run(tmp_path, path)
    docs = by_slug(report)
    assert docs["bug-here"]["status"] == "failed"
    assert docs["bug-here"]["error"] == "ZeroDivisionError: a bug while processing bug-here"
    assert docs["fine"]["status"] == docs["also-fine"]["status"] == "ok"
    assert not report.ok


def test_stage_events_come_back_from_the_worker_processes(tmp_path: Path):
    path = write_manifest(tmp_path, ["a", "b"])
    report, events = run(tmp_path, path)
    assert report.ok
    stages = [(e.slug, e.stage) for e in events if e.name == "stage"]
    for slug in ("a", "b"):
        assert [s for x, s in stages if x == slug] == ["decode", "transcribe", "publish"]
    pids = {e.pid for e in events if e.name == "start"}
    assert pids and os.getpid() not in pids
    kinds = [e.name for e in events]
    assert kinds[0] == "batch_start" and kinds[-1] == "batch_end"
    assert json.loads(json.dumps(events[-1].to_json()))["event"] == "batch_end"


def test_rerun_skips_finished_episodes_and_force_or_a_change_redoes_them(tmp_path: Path):
    path = write_manifest(tmp_path, ["a", "b"])
    first, _ = run(tmp_path, path)
    assert first.ok
    again, events = run(tmp_path, path)
    assert again.ok and {d.status for d in again.episodes} == {"skipped"}
    assert not any(e.name == "start" for e in events)
    assert by_slug(again)["a"]["reason"] == "up to date"
    assert (tmp_path / "a.attempts").read_text() == "1"

    forced, _ = run(tmp_path, path, force=True, only=["b"])
    assert [d.status for d in forced.episodes] == ["ok"]
    assert (tmp_path / "b.attempts").read_text() == "2"

    path.write_text(path.read_text().replace("Title of a", "New title"), encoding="utf-8")
    changed, _ = run(tmp_path, path)
    assert {d.slug: d.status for d in changed.episodes} == {"a": "ok", "b": "skipped"}
    assert (tmp_path / "out" / "a" / "a.txt").read_text() == "New title\n"


def test_a_worker_killed_mid_episode_is_retried_and_the_batch_completes(tmp_path: Path):
    path = write_manifest(tmp_path, ["die-once", "slow-1", "slow-2", "plain"])
    report, events = run(tmp_path, path)
    assert report.ok, report.episodes
    assert (tmp_path / "die-once.attempts").read_text() == "2"
    assert any(e.name == "retry" and e.slug == "die-once" for e in events)
    for slug in ("die-once", "slow-1", "slow-2", "plain"):
        assert (tmp_path / "out" / slug / f"{slug}{RESULT_SUFFIX}").is_file()
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".partial")]


def test_a_second_batch_on_the_same_folder_is_refused(tmp_path: Path):
    path = write_manifest(tmp_path, ["a"])
    (tmp_path / "out").mkdir()
    with exclusive(tmp_path / "out"), pytest.raises(BatchError, match="another batch"):
        run(tmp_path, path)
    report, _ = run(tmp_path, path)  # the lock went with its holder
    assert report.ok and (tmp_path / "out" / LOCK_NAME).exists()


def test_an_output_folder_that_cannot_be_written_is_one_batch_error(tmp_path: Path):
    # Regression: a file named like --out, or a read-only --out, ended in "unexpected
    # FileExistsError/PermissionError" instead of one line naming the folder.
    path = write_manifest(tmp_path, ["a"])
    (tmp_path / "out").write_text("not a folder")
    with pytest.raises(BatchError, match="cannot create the output folder"):
        run(tmp_path, path)
    (tmp_path / "out").unlink()
    (tmp_path / "out").mkdir()
    os.chmod(tmp_path / "out", 0o555)
    try:
        if not os.access(tmp_path / "out", os.W_OK):  # root ignores the mode bits
            with pytest.raises(BatchError, match="cannot write to the output folder"):
                run(tmp_path, path)
    finally:
        os.chmod(tmp_path / "out", 0o755)


def test_an_episode_that_always_kills_its_worker_fails_alone(tmp_path: Path):
    path = write_manifest(tmp_path, ["die-always", "slow-1", "plain"])
    report, _ = run(tmp_path, path)
    docs = by_slug(report)
    assert docs["die-always"]["status"] == "failed"
    assert "worker process died" in docs["die-always"]["error"]
    assert "die-always.wav" in docs["die-always"]["error"]
    assert docs["slow-1"]["status"] == docs["plain"]["status"] == "ok"
    # Once in the pool, once alone: never more.
    assert (tmp_path / "die-always.attempts").read_text() == "2"


def test_only_selects_episodes_and_an_unknown_slug_is_a_usage_error(tmp_path: Path):
    path = write_manifest(tmp_path, ["a", "b", "c"])
    report, _ = run(tmp_path, path, only=["b"])
    assert [d.slug for d in report.episodes] == ["b"]
    with pytest.raises(BatchError, match="nope"):
        run(tmp_path, path, only=["nope"])


def test_dry_run_validates_and_writes_nothing(tmp_path: Path):
    (tmp_path / "bad.wav").write_bytes(b"RIFF....WAVEfmt garbage")
    extra = '[[episode]]\naudio = "bad.wav"\nslug = "bad"\ntitle = "Bad"\n'
    path = write_manifest(tmp_path, ["a"], extra)
    report, _ = run(tmp_path, path, dry_run=True)
    docs = by_slug(report)
    assert docs["a"]["reason"] == "dry run" and docs["bad"]["invalid"]
    assert not (tmp_path / "out").exists() and not (tmp_path / "a.attempts").exists()


def test_clean_stale_removes_partials_and_restores_an_orphaned_old_folder(tmp_path: Path):
    out = tmp_path / "out"
    (out / ".a.x1.partial").mkdir(parents=True)
    (out / ".a.x1.partial" / "a.mp3").write_bytes(b"half")
    (out / f".{REPORT_NAME}.abc.tmp").write_text("{")
    (out / ".b.old-123").mkdir()  # killed between publish's two renames: b is missing
    (out / ".b.old-123" / "b.txt").write_text("kept")
    (out / "c").mkdir()
    (out / ".c.old-9").mkdir()
    (out / "d").mkdir()
    removed = {p.name for p in clean_stale(out)}
    assert removed == {".a.x1.partial", f".{REPORT_NAME}.abc.tmp", ".c.old-9"}
    assert sorted(p.name for p in out.iterdir()) == ["b", "c", "d"]
    assert (out / "b" / "b.txt").read_text() == "kept"


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_workers_and_manager_exit_when_the_batch_process_is_killed(tmp_path: Path):
    path = write_manifest(tmp_path, [f"slow-{i}" for i in range(12)])
    proc = _start_batch_process(tmp_path, path)
    deadline = time.time() + 60
    while not list(tmp_path.glob("*.attempts")) and time.time() < deadline:
        time.sleep(0.1)
    kids = _children(proc.pid)
    assert len(kids) >= 3  # the event manager and two workers (and a resource tracker)
    proc.kill()  # the batch process only, as an OOM killer would
    proc.wait()
    deadline = time.time() + 10
    while [k for k in kids if _alive(k)] and time.time() < deadline:
        time.sleep(0.2)
    assert not [k for k in kids if _alive(k)]
    report, _ = run(tmp_path, path)  # and the next run finishes the job
    assert report.ok
    assert {p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")} == {LOCK_NAME}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_interrupting_the_batch_stops_running_episodes_at_once(tmp_path: Path):
    path = write_manifest(tmp_path, ["sleepy-1", "sleepy-2"])
    proc = _start_batch_process(tmp_path, path)
    deadline = time.time() + 60
    while len(list(tmp_path.glob("*.attempts"))) < 2 and time.time() < deadline:
        time.sleep(0.1)
    kids = _children(proc.pid)
    began = time.time()
    proc.send_signal(signal.SIGINT)  # the batch process only, not its workers
    assert proc.wait(timeout=30) != 0
    assert time.time() - began < 15  # not the 120 s the episodes would take
    time.sleep(1.5)
    assert not [k for k in kids if _alive(k)]
    assert not [p for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")
                and p.is_dir()]


def _start_batch_process(tmp_path: Path, path: Path) -> subprocess.Popen:
    script = tmp_path / "run.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from pathlib import Path\n"
        "from test_batch import fake_episode\n"
        "from audio_pipeline.batch.runner import run_batch\n"
        "from audio_pipeline.metadata.config import PodcastConfig\n"
        "from audio_pipeline.metadata.manifest import load_manifest\n"
        "if __name__ == '__main__':\n"
        f"    m = load_manifest(Path({str(path)!r}), PodcastConfig())\n"
        f"    run_batch(m, Path({str(tmp_path / 'out')!r}), jobs=2, episode_fn=fake_episode,\n"
        "              use_cache=False)\n")
    return subprocess.Popen([sys.executable, str(script)], stderr=subprocess.DEVNULL)


def test_the_report_names_recordings_whose_format_differs(tmp_path: Path):
    path = write_manifest(tmp_path, ["one", "two", "odd"])
    t = np.arange(8000) / 16000  # 'odd' is stereo 24-bit at 16 kHz, the others mono float
    sf.write(tmp_path / "odd.wav", np.stack([np.sin(2 * np.pi * 440 * t)] * 2, 1) * 0.1,
             16000, subtype="PCM_24")
    report, _ = run(tmp_path, path, dry_run=True)  # planned, probed, not run: no workers
    problems = json.loads(json.dumps(report.to_json()))["audio_consistency"]
    assert report.audio_consistency == problems and len(problems) == 2
    assert any(p.startswith("channels differ") and "odd (2 ch)" in p for p in problems)
    assert any(p.startswith("bit depth differs") and "odd (24-bit)" in p for p in problems)
