"""Manifests: defaults, relative paths, every problem reported at once, TOML round trip."""

from __future__ import annotations

import pickle
import tomllib
from pathlib import Path

import pytest

from audio_pipeline.errors import ManifestError
from audio_pipeline.metadata.config import PodcastConfig
from audio_pipeline.metadata.manifest import (
    ManifestProblem,
    ManifestProblems,
    build_episode,
    load_manifest,
)
from audio_pipeline.metadata.manifest_write import dump_manifest
from audio_pipeline.metadata.slug import episode_slug, is_valid_slug, slugify
from audio_pipeline.types import EpisodeMeta

CFG = PodcastConfig(podcast="AI Safety Fundamentals", publisher="BlueDot Impact",
                    narrator="Perrin Walker", production_company="TYPE III AUDIO",
                    website="AI Safety Fundamentals")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "raw").mkdir()
    for name in ("one.wav", "two.wav", "three.wav"):
        (tmp_path / "raw" / name).write_bytes(b"RIFF")  # existence is all a manifest checks
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "one.md").write_text("# One\n\nText.\n", encoding="utf-8")
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "episodes.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = '''
[podcast]
narrator = "Guest Reader"

[[episode]]
audio = "raw/one.wav"
title = "We Need a Science of Evals"
authors = ["Apollo Research"]
source_url = "https://www.apolloresearch.ai/blog/we-need-a-science-of-evals"
source = "articles/one.md"
summary = "Open questions."
episode_number = 3
season = 1
date = 2024-03-05
explicit = false

[[episode]]
audio = "raw/two.wav"
narrator = "Someone Else"
language = "en-GB"
date = "2024-03"
note = "Sections 3.1-3.4"
'''


def test_valid_manifest_resolves_paths_and_applies_defaults(folder: Path) -> None:
    manifest = load_manifest(write(folder, GOOD), CFG)
    one, two = manifest.episodes
    assert one.audio == folder / "raw" / "one.wav"
    assert one.source == folder / "articles" / "one.md"
    assert one.slug == "we-need-a-science-of-evals"
    assert one.meta.authors == ("Apollo Research",)
    assert one.meta.date == "2024-03-05"  # a TOML date becomes ISO text
    assert (one.meta.episode_number, one.meta.season) == (3, 1)
    assert one.meta.narrator == "Guest Reader"  # [podcast] overrides the config
    assert one.meta.podcast == "AI Safety Fundamentals"  # config default
    assert one.meta.production_company == "TYPE III AUDIO"
    assert two.slug == "two"  # no title: the audio file's name
    assert two.meta.narrator == "Someone Else"  # the episode's own value wins
    assert two.meta.language == "en-GB" and two.meta.date == "2024-03"
    assert two.meta.note == "Sections 3.1-3.4"
    assert manifest.config.narrator == "Guest Reader"
    assert manifest.problems == ()


def test_overrides_beat_the_manifest_podcast_table(folder: Path) -> None:
    manifest = load_manifest(write(folder, GOOD), CFG, overrides={"narrator": "Flag Reader",
                                                                  "model": None})
    assert manifest.episodes[0].meta.narrator == "Flag Reader"


def test_every_problem_is_reported_at_once_with_episode_key_and_line(folder: Path) -> None:
    text = '''[[episode]]
audio = "raw/one.wav"
title = "Fine"

[[episode]]
audio = "raw/missing.wav"
title = "Broken One"
source_url = "ftp://example.com/x"
episode_number = -1
colour = "red"

[[episode]]
title = "No Audio"
authors = "Solo Author"
date = "2024-02-30"
explicit = "yes"
slug = "Bad Slug"
'''
    with pytest.raises(ManifestProblems) as err:
        load_manifest(write(folder, text), CFG)
    problems = err.value.problems
    joined = "\n".join(str(p) for p in problems)
    assert len(problems) == 8, joined
    assert "episode #2 (broken-one): audio (line 6): file not found" in joined
    assert "episode #2 (broken-one): source_url (line 8):" in joined and "http" in joined
    assert "episode #2 (broken-one): episode_number (line 9)" in joined
    assert "episode #2 (broken-one): colour (line 10): unknown key" in joined
    assert "episode #3 (no-audio): audio (line 12): missing" in joined
    assert "episode #3 (no-audio): date (line 15): '2024-02-30' is not a real date" in joined
    assert "episode #3 (no-audio): explicit (line 16)" in joined
    assert "episode #3 (no-audio): slug (line 17)" in joined
    assert "episode #1" not in joined
    # the same findings as values: what batch reports and --only read, with no parsing
    audio = next(p for p in problems if p.index == 2 and p.key == "audio")
    assert (audio.slug, audio.line) == ("broken-one", 6)
    assert audio.message.startswith("file not found")
    assert isinstance(err.value, ManifestError)
    assert "\n" not in err.value.one_line()  # the CLI prints one line; `problems` for detail


def test_non_strict_mode_keeps_valid_episodes(folder: Path) -> None:
    text = GOOD + '\n[[episode]]\naudio = "raw/absent.wav"\ntitle = "Gone"\n'
    manifest = load_manifest(write(folder, text), CFG, strict=False)
    assert [e.slug for e in manifest.episodes] == ["we-need-a-science-of-evals", "two"]
    assert len(manifest.problems) == 1 and str(manifest.problems[0]).startswith("episode #3 (gone)")


def test_syntax_error_names_the_line(folder: Path) -> None:
    path = write(folder, '[[episode]]\naudio = "raw/one.wav\n')
    with pytest.raises(ManifestError, match=r"TOML syntax error.*line 2") as err:
        load_manifest(path, CFG)
    assert err.value.path == path


def test_podcast_table_problems_always_raise(folder: Path) -> None:
    path = write(folder, '[podcast]\nbitrate_kbps = 100\n\n[[episode]]\naudio = "raw/one.wav"\n')
    with pytest.raises(ManifestProblems, match=r"\[podcast\] bitrate_kbps"):
        load_manifest(path, CFG, strict=False)


def test_empty_manifest_is_an_error(folder: Path) -> None:
    with pytest.raises(ManifestProblems, match="no \\[\\[episode\\]\\] tables"):
        load_manifest(write(folder, "[podcast]\n"), CFG)


def test_duplicate_slugs_and_audio_are_problems(folder: Path) -> None:
    text = ('[[episode]]\naudio = "raw/one.wav"\ntitle = "Same"\n\n'
            '[[episode]]\naudio = "raw/two.wav"\ntitle = "Same!"\n\n'
            '[[episode]]\naudio = "raw/one.wav"\nslug = "other"\n')
    with pytest.raises(ManifestProblems) as err:
        load_manifest(write(folder, text), CFG)
    joined = "\n".join(str(p) for p in err.value.problems)
    assert "episode #2 (same): slug" in joined and "episode #1" in joined
    assert "episode #3 (other): audio" in joined and "same file as episode #1" in joined


def test_check_files_false_skips_existence(folder: Path) -> None:
    path = write(folder, '[[episode]]\naudio = "raw/not-yet.wav"\nsource = "nope.md"\n')
    manifest = load_manifest(path, CFG, check_files=False)
    assert manifest.episodes[0].audio == folder / "raw" / "not-yet.wav"


def test_cover_must_be_a_real_image(folder: Path) -> None:
    (folder / "cover.jpg").write_text("not an image")
    path = write(folder, '[[episode]]\naudio = "raw/one.wav"\ncover = "cover.jpg"\n')
    with pytest.raises(ManifestProblems, match="neither JPEG nor PNG"):
        load_manifest(path, CFG)


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "www.example.com", "https://", "http://a b"]
)
def test_only_http_urls_are_accepted(folder: Path, url: str) -> None:
    with pytest.raises(ManifestProblems, match="source_url"):
        build_episode(folder / "raw" / "one.wav", CFG, source_url=url)


def test_build_episode_applies_config_and_ignores_none(folder: Path) -> None:
    ep = build_episode(folder / "raw" / "one.wav", CFG, title=None, authors=("A", "B"),
                       source_url="https://example.com/post", summary=None, episode_number=None,
                       date="2024")
    assert ep.slug == "one"
    assert ep.meta.narrator == "Perrin Walker" and ep.meta.publisher == "BlueDot Impact"
    assert ep.meta.authors == ("A", "B") and ep.meta.date == "2024"
    assert ep.meta.episode_number is None


def test_build_episode_reports_all_problems(folder: Path) -> None:
    with pytest.raises(ManifestProblems) as err:
        build_episode(folder / "raw" / "missing.wav", CFG, source_url="ftp://x", season="two")
    keys = sorted(p.key for p in err.value.problems)
    assert keys == ["audio", "season", "source_url"]


def test_manifest_problems_survive_pickling() -> None:
    err = ManifestProblems([ManifestProblem("missing", "audio", 1, "a", 3)], "m.toml")
    back = pickle.loads(pickle.dumps(err))
    assert back.problems == err.problems and back.path == Path("m.toml")
    assert back.stage == "manifest"


def test_dump_manifest_round_trips_awkward_text(folder: Path) -> None:
    meta = EpisodeMeta(
        title='Quotes "inside" and \\backslashes\\',
        authors=("Анна Иванова", "José"),
        # (a control character such as a bell is a manifest problem: XML 1.0 cannot hold it)
        summary='Line one\nLine "two" with """ triple\n\tTabbed and \u2407 bell\nemoji 🎧',
        source_url="https://example.com/a?b=c#d",
        note="Sections 3.1-3.4",
        episode_number=7,
        explicit=True,
        title_provisional=True,
    )
    path = folder / "out.toml"
    dump_manifest([{"audio": "raw/one.wav", **{"title": meta.title}}], path)
    assert tomllib.loads(path.read_text(encoding="utf-8"))["episode"][0]["title"] == meta.title
    dump_manifest([meta], path, podcast={"narrator": "Guest"})
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entry = data["episode"][0]
    assert data["podcast"] == {"narrator": "Guest"}
    assert entry["audio"] == ""  # always written: left for the user to fill in
    assert entry["summary"] == meta.summary
    assert entry["authors"] == list(meta.authors)
    assert entry["explicit"] is True and entry["title_provisional"] is True
    # Filling in the audio makes it a loadable manifest with the same metadata.
    text = path.read_text(encoding="utf-8").replace('audio = ""', 'audio = "raw/one.wav"')
    path.write_text(text, encoding="utf-8")
    loaded = load_manifest(path, CFG).episodes[0].meta
    assert loaded.title == meta.title and loaded.summary == meta.summary
    assert loaded.authors == meta.authors and loaded.note == meta.note
    assert loaded.episode_number == 7 and loaded.narrator == "Guest"


def test_dump_manifest_writes_paths_relative_to_the_manifest(folder: Path) -> None:
    episode = build_episode(folder / "raw" / "one.wav", CFG, source=folder / "articles" / "one.md")
    path = folder / "sub" / "m.toml"
    path.parent.mkdir()
    dump_manifest([episode], path)
    entry = tomllib.loads(path.read_text(encoding="utf-8"))["episode"][0]
    assert entry["audio"] == "../raw/one.wav" and entry["source"] == "../articles/one.md"
    assert load_manifest(path, CFG).episodes[0].audio.resolve() == episode.audio.resolve()


# --------------------------------------------------------------------------- slugs


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Chinchilla’s wild implications!", "chinchillas-wild-implications"),
        ("Crème brûlée & Straße", "creme-brulee-and-strasse"),
        ("Привет мир", "episode"),
        ("", "episode"),
        ("CON", "con-episode"),
        ("lpt1", "lpt1-episode"),
        ("  --Already--slugged--  ", "already-slugged"),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug
    assert is_valid_slug(slug)


def test_slugify_cuts_long_titles_at_a_word() -> None:
    slug = slugify("word " * 40, max_len=23)
    assert slug == "word-word-word-word" and len(slug) <= 23


def test_a_title_with_no_latin_letters_takes_the_audio_name() -> None:
    # Regression: every Cyrillic/CJK/emoji title slugged to "episode", so a batch of them
    # failed as duplicate slugs.
    assert episode_slug("Привет мир", Path("rec/privet-01.wav")) == "privet-01"
    assert episode_slug("日本語", Path("b.flac")) == "b"
    assert episode_slug("Episode", Path("b.flac")) == "episode"
    assert episode_slug("Привет", None) == "episode"


def test_episode_slug_falls_back_to_the_audio_name() -> None:
    assert episode_slug("", Path("raw/Épisode 12.WAV")) == "episode-12"
    assert episode_slug("Title", Path("x.wav")) == "title"
    assert not is_valid_slug("Has Space") and not is_valid_slug("nul")
