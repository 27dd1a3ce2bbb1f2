"""Podcast config: the repository's file, precedence, and one-line errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio_pipeline.errors import ConfigError
from audio_pipeline.metadata import config as config_mod
from audio_pipeline.metadata import cover as cover_mod
from audio_pipeline.metadata.config import (
    PodcastConfig,
    default_config_path,
    load_config,
    with_overrides,
)


def write(tmp_path: Path, text: str, name: str = "podcast.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_config_has_the_feeds_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config_mod.CONFIG_ENV, raising=False)
    assert default_config_path() == config_mod.PACKAGED_CONFIG
    cfg = load_config()
    assert cfg.podcast == "AI Safety Fundamentals"
    assert cfg.publisher == "BlueDot Impact"
    assert cfg.narrator == "Perrin Walker"
    assert cfg.production_company == "TYPE III AUDIO"
    assert cfg.website == "AI Safety Fundamentals"
    assert cfg.loudness_preset == "podcast"
    assert cfg.bitrate_kbps == 128
    assert cfg.channels == 1
    assert cfg.path == config_mod.PACKAGED_CONFIG


def test_repository_config_is_the_packaged_defaults() -> None:
    # config/podcast.toml is the copy a producer edits; it must not drift from what ships
    repo_copy = Path(__file__).resolve().parents[1] / "config" / "podcast.toml"
    assert repo_copy.read_text("utf-8") == config_mod.PACKAGED_CONFIG.read_text("utf-8")


def test_env_variable_chooses_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, 'podcast = "Other Show"\n')
    monkeypatch.setenv(config_mod.CONFIG_ENV, str(path))
    assert default_config_path() == path
    assert load_config().podcast == "Other Show"


def test_env_variable_naming_a_missing_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(config_mod.CONFIG_ENV, str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="file not found") as err:
        load_config()
    assert err.value.path == tmp_path / "nope.toml"


def test_no_config_anywhere_gives_builtin_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(config_mod.CONFIG_ENV, raising=False)
    monkeypatch.setattr(config_mod, "PACKAGED_CONFIG", tmp_path / "absent.toml")
    assert default_config_path() is None
    assert load_config() == PodcastConfig()


def test_unknown_key_names_file_and_key_and_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, 'narator = "X"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    line = err.value.one_line()
    assert "\n" not in line
    assert str(path) in line and "narator" in line and "'narrator'" in line


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('bitrate_kbps = "128"\n', "bitrate_kbps"),
        ("target_lufs = true\n", "target_lufs"),  # a bool is not a number
        ("sample_rate = 44100.0\n", "sample_rate"),
        ("podcast = 3\n", "podcast"),
        ("channels = [1]\n", "channels"),
    ],
)
def test_wrong_type_names_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=f"{key}: must be") as err:
        load_config(path)
    assert err.value.path == path


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("bitrate_kbps = 100\n", "bitrate_kbps"),
        ("id3_version = 2\n", "id3_version"),
        ("channels = 6\n", "channels"),
        ("target_lufs = 3\n", "target_lufs"),
        ("true_peak = 1.5\n", "true_peak"),
        ("long_pause = 0\n", "long_pause"),
        ('language = "English"\n', "language"),
        ("sample_rate = 44000\n", "sample_rate"),
    ],
)
def test_out_of_range_values_are_errors(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load_config(write(tmp_path, text))


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, 'bitrate_kbps = 100\nfoo = 1\nmodel = 3\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert all(k in err.value.message for k in ("bitrate_kbps", "foo", "model"))


def test_syntax_error_gives_the_toml_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'podcast = "A"\npublisher = "B\nnarrator = "C"\n')
    with pytest.raises(ConfigError, match=r"TOML syntax error.*line 2") as err:
        load_config(path)
    assert str(path) in err.value.one_line()


def test_cover_is_relative_to_the_config_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'cover = "art/cover.jpg"\n')
    assert load_config(path).cover == tmp_path / "art" / "cover.jpg"


def test_a_podcast_table_is_accepted_like_in_a_manifest(tmp_path: Path) -> None:
    path = write(tmp_path, '[podcast]\npodcast = "Tabled"\nbitrate_kbps = 64\n')
    cfg = load_config(path)
    assert (cfg.podcast, cfg.bitrate_kbps) == ("Tabled", 64)


def test_precedence_flags_over_file_over_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, 'model = "base.en"\nbitrate_kbps = 96\n'))
    assert cfg.sample_rate == PodcastConfig().sample_rate  # default kept
    assert cfg.bitrate_kbps == 96  # file over default
    cfg = with_overrides(cfg, model="small.en", bitrate_kbps=None, target_lufs=-19)
    assert cfg.model == "small.en"  # flag over file
    assert cfg.bitrate_kbps == 96  # None: the flag was not given
    assert cfg.target_lufs == -19.0 and isinstance(cfg.target_lufs, float)


def test_a_bad_flag_value_does_not_blame_the_config_file(tmp_path: Path) -> None:
    # Regression: `process --target 5` said "config/podcast.toml: target_lufs: ..." and sent
    # the user to a file that was fine.
    cfg = load_config(write(tmp_path, ""))
    with pytest.raises(ConfigError, match="command line") as err:
        with_overrides(cfg, target_lufs=5)
    assert err.value.path is None and str(tmp_path) not in err.value.one_line()


def test_overrides_are_validated(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, ""))
    with pytest.raises(ConfigError, match="id3_version"):
        with_overrides(cfg, id3_version=5)
    with pytest.raises(ConfigError, match="target_lufs: must be a number"):
        with_overrides(cfg, target_lufs="loud")
    with pytest.raises(ConfigError, match="unknown setting"):
        with_overrides(cfg, volume=11)


def test_image_problem_checks_magic_bytes_not_the_extension(tmp_path: Path) -> None:
    fake = tmp_path / "cover.jpg"
    fake.write_bytes(b"GIF89a" + b"\0" * 20)
    assert "neither JPEG nor PNG" in cover_mod.image_problem(fake)
    png = tmp_path / "cover.bin"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    assert cover_mod.image_problem(png) is None
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8\xff" + b"\0" * (cover_mod.COVER_MAX_BYTES + 1))
    assert "2 MiB" in cover_mod.image_problem(big)
    assert "not found" in cover_mod.image_problem(tmp_path / "missing.png")
