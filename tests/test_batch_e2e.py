"""The batch command with the real model on short espeak-ng speech: three good episodes
and a corrupt file, the rerun, kill -9 at several moments, and a Dask cluster."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import synthesize

from audio_pipeline.cli import cli
from audio_pipeline.media.decoder import decode

pytestmark = pytest.mark.slow

LINES = {
    "first": "This is the first episode. The weather was calm and the sea was blue.",
    "second": "The second episode is about bread. Flour, water and salt are enough.",
    "third": "In the third episode we count to five. One, two, three, four, five.",
}


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("speech")
    for slug, text in LINES.items():
        synthesize(text, folder / f"{slug}.wav", speed=190)
        (folder / f"{slug}.txt").write_text(text + "\n", encoding="utf-8")
    (folder / "corrupt.mp3").write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + os.urandom(4000))
    return folder


def make_manifest(folder: Path, dest: Path, corrupt: bool = True, narrator: str = "N. One") -> Path:
    out = []
    for slug in LINES:
        out += ["[[episode]]", f'audio = "{folder / slug}.wav"', f'source = "{folder / slug}.txt"',
                f'slug = "{slug}"', f'title = "The {slug} episode"', f'narrator = "{narrator}"', ""]
    if corrupt:
        out += ["[[episode]]", f'audio = "{folder}/corrupt.mp3"', 'slug = "broken"',
                'title = "Broken"', ""]
    dest.write_text("\n".join(out), encoding="utf-8")
    return dest


def events_of(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def assert_complete(out: Path, slugs: set[str] | None = None) -> set[str]:
    """Every visible episode folder holds all its outputs, each readable."""
    found = set()
    for folder in sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")):
        slug = folder.name
        doc = json.loads((folder / f"{slug}.result.json").read_text(encoding="utf-8"))
        assert doc["status"] == "ok"
        for kind in ("mp3", "srt", "vtt", "txt", "json", "shownotes_txt", "alignment"):
            assert Path(doc["outputs"][kind]).name in {p.name for p in folder.iterdir()}, kind
        audio = decode(folder / f"{slug}.mp3")
        assert abs(audio.duration - doc["duration"]) < 0.5
        json.loads((folder / f"{slug}.json").read_text(encoding="utf-8"))
        assert (folder / f"{slug}.srt").read_text(encoding="utf-8").strip()
        found.add(slug)
    if slugs is not None:
        assert found == slugs
    return found


def test_three_good_one_corrupt_then_a_rerun_that_transcribes_nothing(speech: Path,
                                                                      tmp_path: Path):
    manifest = make_manifest(speech, tmp_path / "manifest.toml")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["batch", str(manifest), "--out", str(out), "--jobs", "2",
                                      "--log-json"])
    assert result.exit_code == 1, result.output
    assert_complete(out, set(LINES))
    report = json.loads((out / "batch-report.json").read_text())
    docs = {d["slug"]: d for d in report["episodes"]}
    assert docs["broken"]["invalid"] and "corrupt.mp3" in docs["broken"]["error"]
    for slug in LINES:
        doc = docs[slug]
        assert doc["status"] == "ok" and doc["coverage"] > 0.8 and doc["match"] == "ok"
        assert doc["loudness"]["output_lufs"] == pytest.approx(-16, abs=1.0)
        assert set(doc["stage_seconds"]) >= {"decode", "transcribe", "align", "loudness"}
    assert "broken" in result.output and "first" in result.output  # the table

    began = time.perf_counter()
    again = CliRunner().invoke(cli, ["batch", str(manifest), "--out", str(out), "--log-json"])
    took = time.perf_counter() - began
    assert again.exit_code == 1  # the corrupt file is still there
    events = events_of(again.stderr)
    assert not [e for e in events if e["event"] in ("start", "stage")]  # nothing ran
    assert [e["slug"] for e in events if e["event"] == "skipped"] == list(LINES)
    assert took < 10

    # New metadata re-tags and re-aligns but takes the transcript from the cache.
    manifest = make_manifest(speech, tmp_path / "manifest.toml", corrupt=False, narrator="N. Two")
    third = CliRunner().invoke(cli, ["batch", str(manifest), "--out", str(out), "--jobs", "1"])
    assert third.exit_code == 0, third.output
    report = json.loads((out / "batch-report.json").read_text())
    for doc in report["episodes"]:
        assert doc["status"] == "ok"
        assert "transcript reused from cache" in doc["warnings"]
        assert doc["stage_seconds"]["transcribe"] < 1.0


def test_kill_minus_nine_at_any_moment_leaves_complete_or_absent_outputs(speech: Path,
                                                                        tmp_path: Path):
    manifest = make_manifest(speech, tmp_path / "manifest.toml", corrupt=False)
    out = tmp_path / "out"
    env = {**os.environ, "AUDIO_PIPELINE_CACHE": str(tmp_path / "cache")}
    shutil.copytree(Path(os.environ["AUDIO_PIPELINE_CACHE"]), tmp_path / "cache",
                    ignore=shutil.ignore_patterns("transcripts"))  # the converted model only
    command = [sys.executable, "-m", "audio_pipeline", "batch", str(manifest), "--out", str(out),
               "--jobs", "2", "--log-json"]
    # Kill the whole process group (batch, workers, manager) when this event is seen.
    moments = [("start", None), ("stage", "transcribe"), ("stage", "publish"), ("done", None),
               ("stage", "publish")]
    kills = 0
    for event, stage in moments:
        proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True,
                                stdout=subprocess.DEVNULL, start_new_session=True)
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("{"):
                doc = json.loads(line)
                if doc["event"] == event and (stage is None or doc["stage"] == stage):
                    os.killpg(proc.pid, signal.SIGKILL)
                    kills += 1
                    break
        proc.wait(timeout=300)
        time.sleep(0.3)  # let the killed workers go
        assert_complete(out)
        json.loads((out / "batch-report.json").read_text())  # never half-written
    assert kills >= 3

    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr
    assert_complete(out, set(LINES))
    assert {p.name for p in out.iterdir() if p.name.startswith(".")} == {".batch.lock"}


def test_real_pipeline_on_a_local_dask_cluster(speech: Path, tmp_path: Path):
    distributed = pytest.importorskip("distributed")
    manifest = make_manifest(speech, tmp_path / "manifest.toml", corrupt=True)
    out = tmp_path / "out"
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        result = CliRunner().invoke(cli, ["batch", str(manifest), "--out", str(out), "--scheduler",
                                          cluster.scheduler_address, "--log-json"])
    assert result.exit_code == 1, result.output
    assert_complete(out, set(LINES))
    events = events_of(result.stderr)
    assert {e["slug"] for e in events if e["event"] == "done"} == set(LINES)
    assert {e["stage"] for e in events if e["event"] == "stage"} >= {"transcribe", "publish"}
