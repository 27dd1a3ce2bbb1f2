import pytest

from audio_pipeline import fsutil
from audio_pipeline.cache import TranscriptCache, file_digest, transcript_key
from audio_pipeline.types import Segment, Transcript, Word


def _transcript() -> Transcript:
    words = (Word("Héllo", 0.0, 0.5, 0.9), Word("мир", 0.5, 1.0, 0.8))
    return Transcript((Segment(0, 0.0, 1.0, "Héllo мир", words),), "en", "tiny.en", 1.0)


def test_cache_round_trips_a_transcript(tmp_path):
    cache = TranscriptCache(tmp_path)
    key = transcript_key("abc", "tiny.en", {"beam_size": None})
    assert cache.get(key) is None
    cache.put(key, _transcript())
    assert cache.get(key) == _transcript()


def test_cache_key_changes_with_audio_model_and_options():
    base = transcript_key("abc", "tiny.en", {"beam": 1})
    assert base != transcript_key("abd", "tiny.en", {"beam": 1})
    assert base != transcript_key("abc", "base", {"beam": 1})
    assert base != transcript_key("abc", "tiny.en", {"beam": 5})


def test_damaged_cache_entry_is_a_miss(tmp_path):
    cache = TranscriptCache(tmp_path)
    key = transcript_key("x", "m", {})
    cache.put(key, _transcript())
    cache._path(key).write_text("{not json")
    assert cache.get(key) is None


def test_file_digest_depends_on_content(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"one")
    b.write_bytes(b"two")
    assert file_digest(a) != file_digest(b)


def test_atomic_write_leaves_old_file_when_writing_fails(tmp_path):
    dest = tmp_path / "out.txt"
    dest.write_text("old")
    with pytest.raises(RuntimeError):
        with fsutil.atomic_path(dest) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert dest.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_publish_dir_replaces_the_whole_folder(tmp_path):
    final = tmp_path / "ep"
    final.mkdir()
    (final / "stale.txt").write_text("stale")
    staging = fsutil.staging_dir(final)
    (staging / "new.txt").write_text("new")
    fsutil.publish_dir(staging, final)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ep"]
    assert [p.name for p in final.iterdir()] == ["new.txt"]


def test_file_digest_of_an_unreadable_file_is_a_media_error_naming_it(tmp_path):
    from audio_pipeline.errors import MediaError

    missing = tmp_path / "gone.wav"
    with pytest.raises(MediaError) as err:
        file_digest(missing)
    assert err.value.path == missing


def test_staging_dir_under_a_file_is_an_output_error(tmp_path):
    # Regression: `process --out some-file/sub` ended in "unexpected NotADirectoryError".
    from audio_pipeline.errors import OutputError

    blocker = tmp_path / "notes.txt"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot create the output folder") as err:
        fsutil.staging_dir(blocker / "sub" / "episode")
    assert err.value.path == blocker / "sub"
    assert blocker.read_text() == "x"


def test_staging_dir_refuses_when_a_file_has_the_output_folders_name(tmp_path):
    # Regression: a file named like the episode folder was renamed to a hidden
    # ".<slug>.old-PID" and left behind, out of the user's sight.
    from audio_pipeline.errors import OutputError

    (tmp_path / "ep").write_text("mine")
    with pytest.raises(OutputError, match="in the way") as err:
        fsutil.staging_dir(tmp_path / "ep")
    assert err.value.path == tmp_path / "ep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ep"]
