"""Decoding, probing, MP3 encoding and channel/rate helpers, on real files."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audio_pipeline import media
from audio_pipeline.errors import MediaError
from audio_pipeline.media.mp3stream import EncodedTap, mp3_writer
from audio_pipeline.types import Audio

RATE = 22050


def _tone(seconds: float = 1.0, channels: int = 2, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    cols = [0.5 * np.sin(2 * np.pi * (220 * (c + 1)) * t) for c in range(channels)]
    return np.stack(cols, axis=1).astype(np.float32)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "FLOAT"])
def test_decode_wav_of_any_bit_depth_to_float32_frames_by_channels(tmp_path: Path,
                                                                   subtype: str) -> None:
    x = _tone()
    path = tmp_path / "t.wav"
    sf.write(path, x, RATE, subtype=subtype)
    before = _digest(path)
    audio = media.decode(path)
    assert audio.samples.dtype == np.float32
    assert audio.samples.shape == x.shape and audio.sample_rate == RATE
    assert audio.path == path
    tolerance = 1e-2 if subtype == "PCM_U8" else 1e-4
    np.testing.assert_allclose(audio.samples, x, atol=tolerance)
    assert _digest(path) == before  # the input is never modified


@pytest.mark.parametrize("fmt", ["flac", "ogg", "mp3"])
def test_decode_compressed_formats_with_libsndfile(tmp_path: Path, fmt: str) -> None:
    x = _tone(channels=1)
    path = tmp_path / f"t.{fmt}"
    sf.write(path, x, RATE, format=fmt.upper() if fmt != "ogg" else "OGG")
    audio = media.decode(path)
    assert audio.channels == 1 and audio.sample_rate == RATE
    assert abs(audio.duration - 1.0) < 0.1


def test_decode_m4a_through_the_ffmpeg_fallback(tmp_path: Path) -> None:
    wav = tmp_path / "t.wav"
    sf.write(wav, _tone(seconds=2.0), RATE)
    m4a = tmp_path / "t.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "aac", "-b:a", "96k",
                    str(m4a)], check=True)
    audio = media.decode(m4a)
    assert audio.channels == 2 and audio.sample_rate == RATE
    assert abs(audio.duration - 2.0) < 0.1
    assert audio.samples.dtype == np.float32
    assert 0.3 < float(np.abs(audio.samples).max()) < 1.0  # scaled from int16
    assert media.probe_duration(m4a) == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("notes.txt", b"This is a narration script, not audio.\n" * 20, "not an audio file"),
        ("empty.wav", b"", "empty"),
        ("junk.mp3", bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)),
         "not an audio file"),
    ],
)
def test_decode_rejects_what_is_not_audio(tmp_path: Path, name: str, content: bytes,
                                          reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(MediaError, match=reason) as info:
        media.decode(path)
    assert info.value.path == path and info.value.stage == "media"


def test_decode_rejects_a_wav_with_no_frames_and_a_truncated_one(tmp_path: Path) -> None:
    empty = tmp_path / "zero.wav"
    sf.write(empty, np.zeros((0, 1), np.float32), RATE)
    with pytest.raises(MediaError, match="no audio frames"):
        media.decode(empty)
    full = tmp_path / "full.wav"
    sf.write(full, _tone(), RATE)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(full.read_bytes()[:30])  # inside the header
    with pytest.raises(MediaError):
        media.decode(cut)


def test_missing_file_is_a_media_error(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="file not found"):
        media.decode(tmp_path / "nope.wav")
    with pytest.raises(MediaError, match="file not found"):
        media.probe_duration(tmp_path / "nope.wav")


def test_probe_duration_reads_headers(tmp_path: Path) -> None:
    path = tmp_path / "t.flac"
    sf.write(path, _tone(seconds=3.0), RATE)
    assert media.probe_duration(path) == pytest.approx(3.0, abs=1e-6)
    text = tmp_path / "t.txt"
    text.write_text("hello")
    with pytest.raises(MediaError, match="not an audio file"):
        media.probe_duration(text)


def test_encode_mp3_writes_a_decodable_file_atomically(tmp_path: Path) -> None:
    dest = tmp_path / "out.mp3"
    dest.write_bytes(b"old")
    audio = Audio(_tone(seconds=2.0), RATE)
    assert media.encode_mp3(audio, dest, bitrate_kbps=96) == dest
    info = sf.info(str(dest))
    assert (info.samplerate, info.channels) == (RATE, 2)
    assert abs(media.probe_duration(dest) - 2.0) < 0.1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp3"]  # no temp left


def test_encode_mp3_resamples_only_when_asked(tmp_path: Path) -> None:
    dest = tmp_path / "out.mp3"
    media.encode_mp3(Audio(_tone(channels=1), RATE), dest, sample_rate=16000)
    assert sf.info(str(dest)).samplerate == 16000


def test_encode_mp3_failures_name_the_destination(tmp_path: Path) -> None:
    audio = Audio(_tone(), RATE)
    missing = tmp_path / "no-such-dir" / "out.mp3"
    with pytest.raises(MediaError, match="output folder") as info:
        media.encode_mp3(audio, missing)
    assert info.value.path == missing
    with pytest.raises(MediaError, match="1 or 2 channels"):
        media.encode_mp3(Audio(_tone(channels=3), RATE), tmp_path / "x.mp3")
    folder = tmp_path / "taken.mp3"
    folder.mkdir()
    with pytest.raises(MediaError, match="cannot write the MP3") as info:
        media.encode_mp3(audio, folder)
    assert info.value.path == folder
    assert [p.name for p in tmp_path.iterdir()] == ["taken.mp3"]  # no partial file left


def test_iter_decode_streams_blocks(tmp_path: Path) -> None:
    dest = tmp_path / "out.mp3"
    media.encode_mp3(Audio(_tone(seconds=3.0), RATE), dest)
    blocks = list(media.iter_decode(dest, 2, block_frames=10000))
    assert all(b.shape[1] == 2 and b.dtype == np.float32 for b in blocks)
    assert len(blocks) >= 6
    assert abs(sum(b.shape[0] for b in blocks) / RATE - 3.0) < 0.1


def test_to_channels_mixes_as_documented() -> None:
    mono = Audio(_tone(channels=1), RATE)
    stereo = media.to_channels(mono, 2)
    np.testing.assert_array_equal(stereo.samples[:, 0], stereo.samples[:, 1])
    two = Audio(_tone(channels=2), RATE)
    np.testing.assert_allclose(media.to_channels(two, 1).samples[:, 0],
                               two.samples.mean(axis=1), atol=1e-7)
    assert media.to_channels(two, 2) is two
    # 5.1: L + 0.707 C + 0.707 Ls; the LFE is dropped
    six = np.zeros((10, 6), np.float32)
    six[:, 0], six[:, 2], six[:, 3], six[:, 4] = 0.1, 0.2, 0.9, 0.3
    left_right = media.to_channels(Audio(six, RATE), 2).samples
    np.testing.assert_allclose(left_right[0], [0.1 + 0.7071 * 0.5, 0.7071 * 0.2], atol=1e-6)
    eight = Audio(np.tile(np.arange(8, dtype=np.float32), (10, 1)), RATE)
    np.testing.assert_allclose(media.to_channels(eight, 2).samples[0], [3.5, 3.5])


def test_resample_keeps_duration_and_pitch() -> None:
    rate = 96000
    t = np.arange(rate) / rate
    x = Audio(np.sin(2 * np.pi * 1000 * t).astype(np.float32)[:, None], rate)
    y = media.resample(x, 48000)
    assert y.sample_rate == 48000 and y.frames == 48000
    spectrum = np.abs(np.fft.rfft(y.samples[:, 0]))
    assert np.argmax(spectrum) == 1000  # 1 Hz bins over one second


def test_mp3_rate_picks_a_rate_mpeg_allows() -> None:
    assert [media.mp3_rate(r) for r in (44100, 8000, 96000, 88200, 37800, 192000)] == [
        44100, 8000, 48000, 44100, 44100, 48000]


def test_iter_decode_reports_what_ffmpeg_cannot_decode(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp3"
    text.write_text("not audio at all\n" * 10)
    with pytest.raises(MediaError, match="ffmpeg could not decode"):
        list(media.iter_decode(text, 2))


def test_encoded_mp3_gets_ordinary_permissions(tmp_path: Path) -> None:
    dest = tmp_path / "out.mp3"
    media.encode_mp3(Audio(_tone(), RATE), dest)
    umask = os.umask(0)
    os.umask(umask)
    assert dest.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_tap_receives_exactly_the_decode_of_the_written_file(tmp_path: Path) -> None:
    dest = tmp_path / "out.mp3"
    x = _tone(seconds=3.0, rate=44100) * np.linspace(0.1, 1.0, 3 * 44100)[:, None]
    got: list[np.ndarray] = []
    tap = EncodedTap(got.append)
    with mp3_writer(dest, 44100, 2, tap=tap) as write:
        for start in range(0, x.shape[0], 30000):
            write(x[start:start + 30000])
    assert tap.exact and tap.frames == x.shape[0]
    decoded = np.concatenate(list(media.iter_decode(dest, 2)))
    np.testing.assert_array_equal(np.concatenate(got), decoded)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp3"]


def test_a_tap_that_fails_does_not_stop_the_encode(tmp_path: Path) -> None:
    def broken(block: np.ndarray) -> None:
        raise ValueError("consumer failed")

    tap = EncodedTap(broken)
    with mp3_writer(tmp_path / "out.mp3", RATE, 2, tap=tap) as write:
        write(_tone(seconds=2.0))
    assert not tap.exact and isinstance(tap.error, ValueError)
    assert abs(media.probe_duration(tmp_path / "out.mp3") - 2.0) < 0.1


def test_prefetch_hands_over_items_and_errors_in_order() -> None:
    def items() -> Iterator[int]:
        yield from range(5)
        raise MediaError("broken at 5")

    seen: list[int] = []
    with pytest.raises(MediaError, match="broken at 5"):
        for item in media.prefetch(items()):
            seen.append(item)
    assert seen == [0, 1, 2, 3, 4]
    closed: list[bool] = []

    def endless() -> Iterator[int]:
        try:
            yield from range(10**9)
        finally:
            closed.append(True)

    stream = media.prefetch(endless())
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    stream.close()  # the consumer stops early: the producer is stopped and closed
    assert closed == [True]


def test_decode_speech_gives_16k_mono_of_the_same_duration(tmp_path):
    import soundfile as sf

    from audio_pipeline.media.decoder import decode_speech

    rate = 44_100
    t = np.arange(rate * 2) / rate
    left = 0.5 * np.sin(2 * np.pi * 440 * t)
    stereo = np.stack([left, left], axis=1).astype(np.float32)
    path = tmp_path / "tone.flac"
    sf.write(path, stereo, rate)
    speech = decode_speech(path)
    assert speech.sample_rate == 16_000 and speech.channels == 1
    assert abs(speech.duration - 2.0) < 0.01
    spectrum = np.abs(np.fft.rfft(speech.samples[:, 0]))
    assert abs(np.argmax(spectrum) * 16_000 / speech.frames - 440) < 2
    assert 0.45 < np.max(np.abs(speech.samples)) < 0.55


def test_decode_speech_rejects_what_is_not_audio(tmp_path):
    from audio_pipeline.media.decoder import decode_speech

    text = tmp_path / "notes.mp3"
    text.write_text("not audio at all\n" * 20)
    with pytest.raises(MediaError) as err:
        decode_speech(text)
    assert err.value.path == text


@pytest.mark.parametrize("fmt", ["flac", "mp3", "m4a"])
def test_decode_speech_rejects_a_cut_off_file_whose_header_says_longer(tmp_path, fmt):
    # Regression: a download cut off mid-file decoded to its first part without error,
    # and the episode was published short (or failed later as "too short to measure").
    from audio_pipeline.media.decoder import decode_speech

    whole = tmp_path / f"whole.{fmt}"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=6:sample_rate=44100",
                    "-movflags", "+faststart", str(whole)], check=True)
    cut = tmp_path / f"cut.{fmt}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 4])
    assert abs(decode_speech(whole).duration - 6.0) < 0.2
    with pytest.raises(MediaError, match="truncated") as err:
        decode_speech(cut)
    assert err.value.path == cut


def test_decode_speech_accepts_a_vbr_mp3_without_a_xing_header(tmp_path):
    # The truncation check must not trust a length guessed from the first frame's bitrate:
    # a VBR MP3 that opens quietly and has no Xing frame reads several times too long.
    from audio_pipeline.media.decoder import decode_speech

    wav, mp3 = tmp_path / "speech.wav", tmp_path / "vbr.mp3"
    subprocess.run(["espeak-ng", "-w", str(wav), "Compute is growing fast. In 2023, models "
                    "used fifty percent more compute."], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "libmp3lame", "-q:a", "5",
                    "-write_xing", "0", str(mp3)], check=True)
    seconds = sf.info(str(wav)).duration
    assert sf.info(str(mp3)).duration > 2 * seconds  # the guessed length really is off
    assert abs(decode_speech(mp3).duration - seconds) < 0.2
