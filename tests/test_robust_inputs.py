"""The bad-input corpus: every kind of upload a build server meets, through the real CLI.

For each kind: the exit code, exactly one error line naming the file and the problem (or,
where the output is still right, exit 0), no traceback, the inputs byte-identical
afterwards, no partial output in --out and nothing written outside it. Most kinds fail at
decode or ingest and never load Whisper; the rest transcribe a 4 s espeak-ng clip with
the bundled tiny.en (the transcript cache makes the copies under other names free).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bad_inputs as bad
import pytest
from click.testing import CliRunner
from conftest import synthesize

from audio_pipeline.cli import cli
from audio_pipeline.metadata.slug import episode_slug

Build = Callable[[Path, Path, Path], list[str]]  # (input folder, speech clip, out) -> argv


@dataclass(frozen=True)
class Kind:
    name: str
    build: Build
    code: int  # 0: the output is right (maybe with a warning)
    message: str = ""  # a regex the one error (or warning) line must match
    names: str | None = None  # the file the line must name (default: the first argument)
    as_user: bool = False  # run without root's file-permission override (chmod tests)
    batched: bool = False  # a good output from new audio: one shared batch transcribes these


def audio(make: Callable[[Path, Path], Path], name: str, *extra: str) -> Build:
    def build(inp: Path, speech: Path, out: Path) -> list[str]:
        return ["process", str(make(speech, inp / name)), "--out", str(out), *extra]
    return build


def plain(make: Callable[[Path], Path], name: str) -> Build:
    return audio(lambda _speech, dest: make(dest), name)


def same(name: str, *extra: str) -> Build:
    """The good clip under another name or with other options."""
    return audio(bad.copy, name, *extra)


def with_source(name: str, content: bytes) -> Build:
    def build(inp: Path, speech: Path, out: Path) -> list[str]:
        source = inp / name
        source.write_bytes(content)
        return ["process", str(bad.copy(speech, inp / "clip.wav")), "--source", str(source),
                "--out", str(out)]
    return build


def manifest(body: str, copies: tuple[str, ...] = ("a.wav",)) -> Build:
    def build(inp: Path, speech: Path, out: Path) -> list[str]:
        for name in copies:
            bad.copy(speech, inp / name)
        path = inp / "manifest.toml"
        path.write_text(body, encoding="utf-8")
        # --dry-run: the checks every batch makes first, without transcribing the good ones
        return ["batch", str(path), "--out", str(out), "--dry-run", "--quiet"]
    return build


def unreadable(inp: Path, speech: Path, out: Path) -> list[str]:
    path = bad.copy(speech, inp / "locked.wav")
    path.chmod(0)
    return ["process", str(path), "--out", str(out)]


def out_not_writable(inp: Path, speech: Path, out: Path) -> list[str]:
    out.mkdir()
    out.chmod(stat.S_IRUSR | stat.S_IXUSR)
    return ["process", str(bad.copy(speech, inp / "clip.wav")), "--out", str(out)]


def out_is_a_file(inp: Path, speech: Path, out: Path) -> list[str]:
    out.write_text("not a folder\n")
    return ["process", str(bad.copy(speech, inp / "clip.wav")), "--out", str(out)]


def out_inside_input(inp: Path, speech: Path, out: Path) -> list[str]:
    return ["process", str(bad.copy(speech, inp / "clip.wav")), "--out", str(inp / "out")]


_HELD: list = []  # lock files a "running" batch holds for the rest of the session


def second_batch(inp: Path, speech: Path, out: Path) -> list[str]:
    """A batch already holds the output folder (its lock, as a running one would)."""
    import fcntl

    argv = manifest('[[episode]]\naudio = "a.wav"\n')(inp, speech, out)
    out.mkdir()
    handle = open(out / ".batch.lock", "a")  # noqa: SIM115 - held on purpose
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    _HELD.append(handle)
    return [a for a in argv if a != "--dry-run"]


URL_ERROR = r"source_url: .*(http|whitespace)"
KINDS = [
    Kind("zero-byte", plain(lambda d: (d.write_bytes(b""), d)[1], "empty.wav"), 1,
         r"the file is empty \[media\]"),
    *[Kind(f"truncated-{ext}", audio(bad.truncated, f"cut.{ext}"), 1,
           r"(truncated|not an audio file|cannot read)")
      for ext in ("mp3", "wav", "flac", "ogg", "m4a")],
    Kind("random-bytes-mp3", plain(bad.random_bytes, "noise.mp3"), 1, r"not an audio file"),
    Kind("image-as-wav", plain(bad.image, "picture.wav"), 1, r"not an audio file"),
    Kind("pdf-as-wav", plain(bad.pdf, "paper.wav"), 1, r"not an audio file"),
    Kind("zero-frames", plain(bad.zero_frames, "nothing.wav"), 1, r"no audio frames"),
    Kind("header-only-wav", plain(bad.wav_header_only, "header.wav"), 1, r"not an audio file"),
    Kind("100-ms", plain(bad.short, "blip.wav"), 1, r"too short: 0\.10 s"),
    Kind("hour-of-silence", plain(bad.hour_of_silence, "silence.wav"), 1,
         r"no speech: the recording is silent \(3600 s"),
    Kind("hour-of-noise", plain(bad.hour_of_noise, "noise.wav"), 1,
         r"no speech: the level never dips"),
    Kind("fully-clipped", audio(bad.clipped, "hot.wav"), 0, r"clipping", batched=True),
    Kind("nan-float-wav", audio(lambda s, d: bad.non_finite(s, d, float("nan")), "nan.wav"), 1,
         r"NaN or infinite"),
    Kind("inf-float-wav", audio(lambda s, d: bad.non_finite(s, d, float("inf")), "inf.wav"), 1,
         r"NaN or infinite"),
    *[Kind(f"{n}-channels", audio(lambda s, d, n=n: bad.with_channels(s, d, n), f"ch{n}.wav"), 0,
           batched=True) for n in (1, 2, 6, 8)],
    *[Kind(f"{r // 1000}-khz", audio(lambda s, d, r=r: bad.resampled(s, d, r), f"r{r}.wav"), 0,
           batched=True) for r in (8000, 192000)],
    Kind("8-bit", audio(lambda s, d: bad.with_subtype(s, d, "PCM_U8"), "u8.wav"), 0,
         batched=True),
    Kind("32-bit-float", audio(lambda s, d: bad.with_subtype(s, d, "FLOAT"), "f32.wav"), 0,
         batched=True),
    Kind("junk-id3", audio(bad.id3_junk, "junk.mp3"), 0,
         batched=True),
    Kind("huge-apic", audio(bad.huge_apic, "cover.mp3"), 0,
         batched=True),
    Kind("video-file", audio(bad.video, "clip.mp4"), 0,
         batched=True),
    Kind("extension-lies", audio(lambda s, d: bad.encoded(s, d.with_suffix(".flac"))
                                 .rename(d) or d, "really-flac.mp3"), 0,
         batched=True),
    Kind("path-with-spaces", same("my episode 1.wav"), 0, batched=True),
    Kind("path-with-quotes", same("it's \"quoted\".wav"), 0, batched=True),
    Kind("path-non-ascii", same("épisode-été-日本.wav"), 0, batched=True),
    Kind("path-leading-dash", same("-rf.wav"), 0),
    Kind("source-empty", with_source("empty.md", b""), 1, r"article is empty", names="empty.md"),
    Kind("source-binary", with_source("blob.md", bytes(range(256)) * 40), 1, r"binary file",
         names="blob.md"),
    Kind("source-latin-1", with_source("latin.txt", bad.ARTICLE.replace("Short", "Café")
                                       .encode("latin-1")), 0,
         batched=True),
    Kind("source-utf16-bom", with_source("wide.txt", bad.ARTICLE.encode("utf-16")), 0,
         batched=True),
    Kind("source-5-mb", with_source("huge.md", (bad.ARTICLE * 40000).encode()), 1,
         r"too long", names="huge.md"),
    Kind("source-html-scripts", with_source(
        "page.html", (b"<html><head><style>p{color:red}</style><script>var a='the narrator';"
                      b"</script></head><body><h1>A Short Article</h1><p>The narrator reads a "
                      b"short sentence. Then she reads another one.</p></body></html>")), 0,
         batched=True),
    Kind("summary-huge", same("clip.wav", "--summary", "word " * 2000), 1,
         r"summary: 10000 characters"),
    *[Kind(f"title-{n}", same("clip.wav", "--title", t), 0, batched=True) for n, t in (
        ("dotdot", "../../etc/passwd"), ("slash", "a/b\\c"), ("emoji", "Rockets 🚀🚀"),
        ("rtl", "\u202eevil\u202c مرحبا"), ("300-chars", "x" * 300), ("windows-con", "CON"),
        ("windows-lpt1", "lpt1.txt"))],
    Kind("title-nul", manifest('[[episode]]\naudio = "a.wav"\ntitle = "bad\\u0000title"\n'),
         1, r"title \(line 3\): contains the control character U\+0000", names="(line 3)"),
    *[Kind(f"url-{n}", same("clip.wav", "--source-url", u), 1, URL_ERROR, names=None)
      for n, u in (("javascript", "javascript:alert(1)"), ("file", "file:///etc/passwd"),
                   ("data", "data:text/html,<b>x</b>"), ("not-a-url", "see the blog"))],
    Kind("manifest-duplicate-slugs", manifest(
        '[[episode]]\naudio = "a.wav"\nslug = "same"\n[[episode]]\naudio = "b.wav"\n'
        'slug = "same"\n', ("a.wav", "b.wav")), 1, r"'same' is also the slug", names="(line 6)"),
    Kind("manifest-toml-error", manifest('[[episode]\naudio = "a.wav"\n'), 2, r"TOML",
         names="manifest.toml"),
    Kind("missing-file", lambda inp, s, out: ["process", str(inp / "gone.wav"), "--out",
                                              str(out)], 1, r"not found"),
    Kind("unreadable-file", unreadable, 2, r"is not readable", as_user=True),
    Kind("out-not-writable", out_not_writable, 1, r"ermission", names="out", as_user=True),
    Kind("out-is-a-file", out_is_a_file, 2, r"is a file", names="out"),
    Kind("out-inside-input", out_inside_input, 0),
    Kind("second-batch-same-out", second_batch, 1, r"another batch is writing", names="out"),
]


def digest_tree(root: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``root``, with its content hash and mode."""
    found: dict[str, tuple[str, int]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            mode = path.stat().st_mode
            path.chmod(mode | stat.S_IRUSR)
            found[str(path.relative_to(root))] = (hashlib.sha256(path.read_bytes()).hexdigest(),
                                                  mode)
            path.chmod(mode)
    return found


def listing(root: Path, skip: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if p != skip and skip not in p.parents}


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4 s narration, the good clip every variant is made from."""
    return synthesize(bad.SPEECH_TEXT, tmp_path_factory.mktemp("speech") / "speech.wav")


def invoke(argv: list[str], as_user: bool, cwd: Path) -> tuple[int, str]:
    """The CLI in this process (Click's runner; fd 2 is checked by capfd), or, for the
    permission kinds, in a child process that has dropped root's file-permission override
    (as root, chmod 000 would change nothing)."""
    if not as_user:
        result = CliRunner().invoke(cli, argv)
        return result.exit_code, result.stderr + (
            "".join(__import__("traceback").format_exception(result.exc_info[1]))
            if result.exception and not isinstance(result.exception, SystemExit) else "")
    prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] \
        if os.geteuid() == 0 else []
    proc = subprocess.run([*prefix, sys.executable, "-m", "audio_pipeline", *argv],
                          capture_output=True, text=True, cwd=cwd, timeout=120)
    return proc.returncode, proc.stderr


def is_progress(line: str) -> bool:
    return bool(re.fullmatch(r"\[[^\]]*\] \w+\.\.\.", line)) or line.startswith(
        ("loudness: ", "transcribed ", "read ", "warning: transcript reused"))


ONE_BY_ONE = [k for k in KINDS if not k.batched]
BATCHED = [k for k in KINDS if k.batched]


def checked_output(out: Path) -> Path:
    """The one episode folder in ``out``, complete, with nothing hidden left beside it."""
    folders = [p for p in out.iterdir() if p.is_dir()]
    assert len(folders) == 1 and not folders[0].name.startswith("."), folders
    return folder_ok(folders[0])


def folder_ok(folder: Path) -> Path:
    assert (folder / f"{folder.name}.mp3").stat().st_size > 1000
    assert json.loads((folder / f"{folder.name}.result.json").read_text())["status"] == "ok"
    assert not [p for p in folder.parent.rglob(".*") if p.name != ".batch.lock"]
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("kind", ONE_BY_ONE, ids=[k.name for k in ONE_BY_ONE])
def test_bad_input(kind: Kind, speech: Path, tmp_path: Path, capfd, monkeypatch) -> None:
    monkeypatch.delenv("AUDIO_PIPELINE_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)
    inp, out = tmp_path / "in", tmp_path / "out"
    inp.mkdir()
    argv = kind.build(inp, speech, out)
    inputs = digest_tree(inp)
    around = listing(tmp_path, out)
    capfd.readouterr()
    code, stderr = invoke(argv, kind.as_user, tmp_path)
    native = capfd.readouterr().err  # what C libraries or children wrote to fd 2
    lines = [ln for ln in (stderr + native).splitlines() if ln.strip() and not is_progress(ln)]
    if out.is_dir():
        out.chmod(0o755)

    assert "Traceback" not in stderr + native, stderr + native
    assert code == kind.code, f"exit {code}: {stderr}"
    if kind.code:
        assert len(lines) == 1, lines
        named = kind.names or Path(argv[1]).name
        # a batch names the manifest's episode and line ("failed: slug: ... (line 3)")
        assert lines[0].startswith(("error: ", "failed: ")) and named in lines[0], lines[0]
        assert re.search(kind.message, lines[0]), lines[0]
        leftovers = list(out.rglob("*")) if out.is_dir() else []
        assert all(p.name in ("batch-report.json", ".batch.lock") for p in leftovers), \
            leftovers
        assert digest_tree(inp) == inputs, "an input changed"
        assert listing(tmp_path, out) == around, "written outside --out"
        return
    assert not [ln for ln in lines if not ln.startswith("warning:")], lines
    if kind.message:
        assert any(re.search(kind.message, ln) for ln in lines), lines
    inside = kind.name == "out-inside-input"
    checked_output(inp / "out" if inside else out)
    after = digest_tree(inp)
    assert {k: v for k, v in after.items() if not k.startswith("out/")} == inputs
    assert {p for p in listing(tmp_path, out) - around
            if not p.startswith("in/out")} == set(), "written outside --out"


@pytest.fixture(scope="session")
def good_batch(speech: Path, tmp_path_factory: pytest.TempPathFactory):
    """The kinds whose output must be right, from audio of their own: one batch (one
    model load), one episode per kind, its slug the kind's name."""
    work = tmp_path_factory.mktemp("good")
    inp, out = work / "in", work / "out"
    rows, titles = [], {}
    for kind in BATCHED:
        folder = inp / kind.name
        folder.mkdir(parents=True)
        argv = kind.build(folder, speech, out)
        row = f"[[episode]]\naudio = {json.dumps(argv[1], ensure_ascii=False)}\n"
        if "--title" in argv:  # the title makes the slug
            titles[kind.name] = title = argv[argv.index("--title") + 1]
            row += f"title = {json.dumps(title, ensure_ascii=False)}\n"
        else:
            row += f'slug = "{kind.name}"\n'
        if "--source" in argv:
            row += f"source = {json.dumps(argv[argv.index('--source') + 1])}\n"
        rows.append(row)
    manifest = work / "manifest.toml"
    manifest.write_text("\n".join(rows), encoding="utf-8")
    before, around = digest_tree(inp), listing(work, out)
    result = subprocess.run([sys.executable, "-m", "audio_pipeline", "batch", str(manifest),
                             "--out", str(out), "--jobs", "1", "--quiet"],
                            capture_output=True, text=True, cwd=work, timeout=900)
    return {"code": result.returncode, "stderr": result.stderr, "out": out,
            "inputs_kept": digest_tree(inp) == before,
            "outside": listing(work, out) - around, "titles": titles}


@pytest.mark.slow
@pytest.mark.parametrize("kind", BATCHED, ids=[k.name for k in BATCHED])
def test_good_output_from_odd_input(kind: Kind, good_batch) -> None:
    assert "Traceback" not in good_batch["stderr"], good_batch["stderr"]
    assert good_batch["code"] == 0, good_batch["stderr"]
    assert good_batch["inputs_kept"] and not good_batch["outside"], good_batch["outside"]
    title = good_batch["titles"].get(kind.name)
    slug = episode_slug(title, "clip.wav") if title else kind.name
    folder = folder_ok(good_batch["out"] / slug)
    assert folder.resolve().parent == good_batch["out"].resolve()
    result = json.loads((folder / f"{slug}.result.json").read_text())
    assert result["duration"] > 2.0
    if title:
        from mutagen.id3 import ID3

        assert str(ID3(str(folder / f"{slug}.mp3"))["TIT2"]) == title
    if kind.message:
        assert any(re.search(kind.message, w) for w in result["warnings"]), result["warnings"]


def test_the_corpus_covers_every_kind_the_issue_lists() -> None:
    assert len(KINDS) == len({k.name for k in KINDS}) >= 60
