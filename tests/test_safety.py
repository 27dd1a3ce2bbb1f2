"""Safety: no shell, paths that start with a dash, links and markup, the container's
user, and a real run with networking blocked."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, synthesize

PACKAGE = REPO / "audio_pipeline"
SUBPROCESS_CALLS = {"run", "Popen", "call", "check_call", "check_output"}


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            yield name, node


def test_no_shell_anywhere_in_the_package() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, node in _calls(tree):
            if name in ("system", "popen") and isinstance(node.func, ast.Attribute) and \
                    getattr(node.func.value, "id", "") == "os":
                found.append(f"{path.name}:{node.lineno} os.{name}")
            for kw in node.keywords:
                if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant)
                                              and kw.value.value is False):
                    found.append(f"{path.name}:{node.lineno} shell=")
            if name in SUBPROCESS_CALLS and node.args and not isinstance(
                    node.args[0], (ast.List, ast.Name, ast.BinOp, ast.Starred)):
                found.append(f"{path.name}:{node.lineno} a command that is not a list")
    assert not found, found


def test_a_path_that_starts_with_a_dash_is_probed_as_a_file(tmp_path: Path, monkeypatch) -> None:
    """ffprobe takes its input as a bare argument: "-x.m4a" would be read as an option."""
    from audio_pipeline.media.decoder import probe_duration

    monkeypatch.chdir(tmp_path)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=1.5", "-c:a", "aac", "./-x.m4a"], check=True)
    assert probe_duration(Path("-x.m4a")) == pytest.approx(1.5, abs=0.1)


def test_links_must_be_http_and_markup_is_escaped() -> None:
    from audio_pipeline.metadata.manifest import url_problem
    from audio_pipeline.publish.page import environment

    for url in ("javascript:alert(1)", "file:///etc/passwd", "data:text/html,x",
                "ftp://x.org/a", "//x.org", "http:/x", "see the blog", "JaVaScRiPt:x"):
        assert url_problem(url), url
    assert url_problem("https://example.org/a?b=1") is None
    html = environment().from_string("<p title='{{ t }}'>{{ t }}</p>").render(
        t="<script>alert('x')</script> & \"q\"")
    assert "<script>" not in html and "&lt;script&gt;" in html and "&#39;x&#39;" in html


def test_the_container_runs_as_a_user_and_keeps_data_on_its_volume() -> None:
    lines = [ln.strip() for ln in (REPO / "Dockerfile").read_text().splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    users = [ln.split()[1] for ln in lines if ln.startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), users
    assert 'VOLUME ["/data"]' in lines
    workdirs = [ln.split()[1] for ln in lines if ln.startswith("WORKDIR ")]
    assert workdirs[-1] == "/data"  # relative --out paths land on the volume
    # the user is set before anything runs at build time as it will at run time
    assert lines.index(f"USER {users[-1]}") < lines.index(
        next(ln for ln in lines if "models prepare" in ln))


GUARD = """
import socket, sys
def refuse(*a, **k):
    raise OSError("network blocked by the test")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
sys.argv = ["audio-pipeline", *sys.argv[1:]]
from audio_pipeline.cli import main
main()
"""


@pytest.mark.slow
def test_a_real_episode_runs_with_networking_blocked(tmp_path: Path, isolated_cache) -> None:
    """The model paths (bundled tiny.en, converted into the cache) and every stage run
    with every socket connection refused; --no-cache so Whisper really transcribes."""
    clip = synthesize("A short test of the offline pipeline.", tmp_path / "offline.wav")
    article = tmp_path / "offline.md"
    article.write_text("# Offline\n\nA short test of the offline pipeline.\n")
    proc = subprocess.run(
        [sys.executable, "-c", GUARD, "process", str(clip), "--source", str(article),
         "--out", str(tmp_path / "out"), "--no-cache", "--source-url", "https://example.org/a"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**__import__("os").environ, "AUDIO_PIPELINE_CACHE": str(isolated_cache),
             "HF_HUB_OFFLINE": "0"})
    assert proc.returncode == 0, proc.stderr
    assert "network blocked" not in proc.stderr
    result = json.loads((tmp_path / "out" / "offline" / "offline.result.json").read_text())
    assert result["status"] == "ok" and result["coverage"] > 0.5
