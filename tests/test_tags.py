"""ID3 tags written to a real MP3 and read back, in ID3v2.4 and v2.3."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from mutagen.id3 import ID3, TXXX, Encoding

from audio_pipeline.errors import TagError
from audio_pipeline.metadata.id3_frames import SUMMARY_LIMIT
from audio_pipeline.metadata.tag_readback import read_tags
from audio_pipeline.metadata.tags import write_tags
from audio_pipeline.types import ChapterMark, EpisodeMeta

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                reason="ffmpeg is not installed")

META = EpisodeMeta(
    title="Привет, café — 🎧 episode",
    authors=("Анна Иванова", "José Ñúñez", "Zoë 😀"),
    narrator="Perrin Walker",
    source_url="https://example.com/posts/émigré?x=1",
    summary="Résumé: ещё одна строка — with emoji 🚀.\nSecond paragraph.",
    podcast="AI Safety Fundamentals",
    publisher="BlueDot Impact",
    production_company="TYPE III AUDIO",
    episode_number=12,
    season=3,
    date="2024-03-05",
    language="en",
)
# Titles of very different lengths: mutagen would write these CHAP frames by size.
CHAPTERS = (
    ChapterMark("Introduction: a rather long chapter title to make a large frame", 0.0, 1.0),
    ChapterMark("Б", 1.0, 2.0),
    ChapterMark("Méthodes 🧪", 2.0, 2.6),
    ChapterMark("Q", 2.6, 3.0),
)
TRANSCRIPT = "Первая фраза. Second sentence — naïve 🎤.\nThird line."


@pytest.fixture(scope="module")
def source_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-second MP3 whose encoder wrote its own TSSE frame."""
    path = tmp_path_factory.mktemp("mp3") / "tone.mp3"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", "sine=frequency=440:duration=3", "-ac", "1", "-b:a", "64k",
                    str(path)], check=True)
    return path


@pytest.fixture
def mp3(source_mp3: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "episode.mp3"
    shutil.copyfile(source_mp3, dest)
    return dest


@pytest.fixture(scope="module")
def png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("img") / "cover.png"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", "color=c=red:s=64x64", "-frames:v", "1", str(path)], check=True)
    return path


def ffprobe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-show_format", "-of",
                          "json", str(path)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("version", [4, 3])
def test_every_frame_reads_back(mp3: Path, png: Path, version: int) -> None:
    meta = EpisodeMeta(**{**META.__dict__, "cover": png})
    warnings = write_tags(mp3, meta, chapters=CHAPTERS, transcript_text=TRANSCRIPT,
                          version=version)
    assert warnings == []
    tags = read_tags(mp3).to_json()
    assert tags["version"] == version
    assert tags["title"] == META.title
    assert tags["authors"] == list(META.authors)
    assert tags["narrator"] == tags["narrator_txxx"] == "Perrin Walker"
    assert tags["podcast"] == tags["album_artist"] == "AI Safety Fundamentals"
    assert tags["publisher"] == "BlueDot Impact"
    assert tags["source_url"] == tags["source_url_wxxx"] == META.source_url
    assert tags["summary"] == tags["description"] == META.summary
    assert tags["summary_lang"] == tags["transcript_lang"] == "eng"
    assert tags["date"] == "2024-03-05"
    assert (tags["episode_number"], tags["season"]) == (12, 3)
    assert tags["genre"] == "Podcast"
    assert tags["language"] == "eng"
    assert tags["podcast_flag"] is True
    assert tags["transcript"] == TRANSCRIPT
    assert tags["cover"] == {"mime": "image/png", "bytes": png.stat().st_size, "desc": "Cover"}
    assert 2900 <= tags["length_ms"] <= 3100
    assert [c["title"] for c in tags["chapters"]] == [c.title for c in CHAPTERS]
    assert [(c["start"], c["end"]) for c in tags["chapters"]] == [(c.start, c.end)
                                                                  for c in CHAPTERS]
    assert tags["toc"] == ["chp000", "chp001", "chp002", "chp003"]
    assert "TSSE" in tags["other_frames"]  # the encoder's frame survives
    json.dumps(tags)  # plain data


def test_v23_uses_utf16_tyer_and_joined_values(mp3: Path) -> None:
    write_tags(mp3, META, version=3)
    raw = ID3(mp3, translate=False)
    assert raw.version == (2, 3, 0)
    assert "TDRC" not in raw and str(raw["TYER"].text[0]) == "2024"
    assert str(raw["TDAT"].text[0]) == "0503"  # DDMM
    assert raw["TPE1"].text == ["Анна Иванова/José Ñúñez/Zoë 😀"]
    assert raw["TIT2"].encoding == Encoding.UTF16
    write_tags(mp3, META, version=4)
    raw = ID3(mp3, translate=False)
    assert raw.version == (2, 4, 0) and "TYER" not in raw and "TDRC" in raw
    assert raw["TPE1"].text == list(META.authors) and raw["TIT2"].encoding == Encoding.UTF8


@pytest.mark.parametrize("version", [4, 3])
def test_chapters_are_in_time_order_in_the_file(mp3: Path, version: int) -> None:
    write_tags(mp3, META, chapters=list(reversed(CHAPTERS)), version=version)
    probed = ffprobe(mp3)["chapters"]
    assert [c["tags"]["title"] for c in probed] == [c.title for c in CHAPTERS]
    assert [float(c["start_time"]) for c in probed] == [c.start for c in CHAPTERS]
    # The audio still decodes to its full length after the tag grew.
    assert float(ffprobe(mp3)["format"]["duration"]) == pytest.approx(3.0, abs=0.1)


def test_retagging_replaces_ours_and_keeps_other_frames(mp3: Path) -> None:
    write_tags(mp3, META, chapters=CHAPTERS, transcript_text=TRANSCRIPT)
    other = ID3(mp3)
    other.add(TXXX(encoding=Encoding.UTF8, desc="OTHER", text="keep me"))
    other.save(mp3)
    new = EpisodeMeta(title="Second title", authors=("Only One",), language="ru")
    write_tags(mp3, new, chapters=CHAPTERS[:2])
    tags = read_tags(mp3).to_json()
    assert tags["title"] == "Second title" and tags["authors"] == ["Only One"]
    assert tags["narrator"] is None and tags["source_url"] is None  # stale values gone
    assert tags["summary"] is None and tags["transcript"] is None and tags["date"] is None
    assert tags["language"] == "rus"
    assert len(tags["chapters"]) == 2 and tags["toc"] == ["chp000", "chp001"]
    assert {"TSSE", "TXXX:OTHER"} <= set(tags["other_frames"])
    assert str(ID3(mp3)["TXXX:OTHER"].text[0]) == "keep me"


def test_long_text_is_cut_with_a_warning(mp3: Path) -> None:
    meta = EpisodeMeta(title="T", summary="word " * 2000)
    warnings = write_tags(mp3, meta)
    assert any("COMM" in w and "cut" in w for w in warnings)
    assert any("TDES" in w for w in warnings)
    tags = read_tags(mp3).to_json()
    assert len(tags["summary"]) == SUMMARY_LIMIT and tags["summary"].endswith("…")


def test_chapters_beyond_the_audio_are_left_out_with_a_warning(mp3: Path) -> None:
    chapters = [ChapterMark("In", 0.0, 2.0), ChapterMark("Past the end", 10.0, 12.0)]
    warnings = write_tags(mp3, META, chapters=chapters)
    assert any("Past the end" in w for w in warnings)
    tags = read_tags(mp3).to_json()
    assert [c["title"] for c in tags["chapters"]] == ["In"]


def test_unknown_language_leaves_tlan_out(mp3: Path) -> None:
    warnings = write_tags(mp3, EpisodeMeta(title="T", language="xx"))
    assert any("TLAN" in w for w in warnings)
    assert read_tags(mp3).language is None


def test_bad_cover_is_a_tag_error(mp3: Path, tmp_path: Path) -> None:
    fake = tmp_path / "cover.jpg"
    fake.write_bytes(b"GIF89a" + b"\0" * 100)
    with pytest.raises(TagError, match="neither JPEG nor PNG") as err:
        write_tags(mp3, EpisodeMeta(title="T", cover=fake))
    assert err.value.path == fake


def test_a_file_that_is_not_mp3_is_a_tag_error_and_left_alone(tmp_path: Path) -> None:
    wav = tmp_path / "speech.mp3"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", "sine=duration=0.5", "-f", "wav", str(wav)], check=True)
    before = wav.read_bytes()
    with pytest.raises(TagError) as err:
        write_tags(wav, META)
    assert err.value.path == wav and err.value.stage == "tags"
    assert wav.read_bytes() == before
    assert list(tmp_path.glob(".*tmp")) == []  # no temporary file left behind


def test_missing_file_is_a_tag_error(tmp_path: Path) -> None:
    with pytest.raises(TagError, match="not found"):
        write_tags(tmp_path / "absent.mp3", META)
    with pytest.raises(TagError):
        read_tags(tmp_path / "absent.mp3")


def test_reading_tags_of_a_missing_file_does_not_say_cannot_tag(tmp_path: Path) -> None:
    # Regression: `inspect absent.mp3` said "cannot tag: [Errno 2] ..." though it writes nothing.
    with pytest.raises(TagError, match="file not found") as err:
        read_tags(tmp_path / "absent.mp3")
    assert "cannot tag" not in err.value.one_line()


def test_untagged_file_reads_as_empty(tmp_path: Path) -> None:
    bare = tmp_path / "bare.mp3"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", "sine=duration=1", "-id3v2_version", "0", str(bare)], check=True)
    assert bare.read_bytes()[:3] != b"ID3"
    assert read_tags(bare).version is None
    write_tags(bare, META)
    assert read_tags(bare).title == META.title
