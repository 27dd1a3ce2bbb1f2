"""The narration report's precision: issues verified against the audio (with a scorer
handed in), multi-word substitutions, skipped headings, captions that say what was
said, onsets read off the audio, the tail of a recording. Pure logic: the scorer here
is a stand-in whose answers the test chooses; tests/test_verify_model.py runs the real
model."""

from __future__ import annotations

import numpy as np
import pytest
from test_align import ALL, SENTENCES, SOURCE, Narration

from audio_pipeline.align.aligner import align
from audio_pipeline.align.onsets import SpeechOnsets
from audio_pipeline.align.verdict import to_fix
from audio_pipeline.align.verify import (
    Window,
    build_candidates,
    heard_span,
    verified_confidence,
)
from audio_pipeline.publish.segments import timed_source_segments
from audio_pipeline.types import NarrationIssue, Word


class Scorer:
    """Answers a fixed ratio per heard text; records what it was asked."""

    def __init__(self, ratios: dict[str, float], default: float = 0.0):
        self.ratios, self.default = ratios, default
        self.calls: list[tuple[Window, str, str]] = []

    def __call__(self, window: Window, article: str, heard: str,
                 head: int | None = None, acoustic: bool = False) -> float:
        self.calls.append((window, article, heard))
        return next((r for key, r in self.ratios.items() if key in heard), self.default)


def test_a_misread_the_audio_confirms_is_to_fix_and_a_mishearing_is_not():
    n = Narration().read(*ALL, replace={"river": "mountain"})
    confirmed = align(n.transcript(), SOURCE, scorer=Scorer({"mountain": 6.0}))
    (sub,) = [i for i in to_fix(confirmed) if i.type == "substituted"]
    assert (sub.expected, sub.heard) == ("river", "mountain") and sub.llr == 6.0
    # the same text, but the model finds the article's word as likely: a mishearing
    doubted = align(n.transcript(), SOURCE, scorer=Scorer({"mountain": 0.3}))
    assert not [i for i in to_fix(doubted) if i.type == "substituted"]
    note = next(i for i in doubted.issues if i.type == "substituted")
    assert note.llr == 0.3 and note.confidence < 0.5


def test_the_scorer_sees_the_whole_window_in_both_texts():
    n = Narration().read(*ALL, replace={"river": "mountain"})
    scorer = Scorer({"mountain": 6.0})
    align(n.transcript(), SOURCE, scorer=scorer)
    (window, article, heard), = [c for c in scorer.calls if "mountain" in c[2]]
    assert "The river of tokens" in article and "The mountain of tokens" in heard
    # same context on both sides; only the span differs
    assert article.replace("river", "mountain") == heard
    assert 0 < window.duration <= 30.0


def test_a_skip_the_audio_confirms_is_to_fix_and_a_dropped_heading_becomes_a_pickup():
    heading = SENTENCES.index("What it means")
    n = Narration().read(*[i for i in ALL if i != heading])
    unverified = align(n.transcript(), SOURCE)
    assert not [i for i in to_fix(unverified) if i.type == "skipped"]  # a note alone
    verified = align(n.transcript(), SOURCE, scorer=Scorer({}, default=5.0))
    (skip,) = [i for i in to_fix(verified) if i.type == "skipped"]
    assert skip.expected == "What it means" and skip.llr == 5.0
    # read after all (Whisper dropped it): the model finds the heading as likely
    heard_anyway = align(n.transcript(), SOURCE, scorer=Scorer({}, default=0.0))
    assert not [i for i in to_fix(heard_anyway) if i.type == "skipped"]


def test_an_ad_lib_the_audio_confirms_is_to_fix_and_a_mis_segmented_fragment_is_not():
    n = Narration().read(*ALL[:4]).say("honestly this part always amazes me").read(*ALL[4:])
    confirmed = align(n.transcript(), SOURCE, scorer=Scorer({"amazes": 8.0}))
    assert [i.heard for i in to_fix(confirmed) if i.type == "inserted"] == [
        "honestly this part always amazes me"]
    doubted = align(n.transcript(), SOURCE, scorer=Scorer({"amazes": -1.0}))
    assert not [i for i in to_fix(doubted) if i.type == "inserted"]


def test_a_phrase_read_differently_is_one_substitution_with_both_texts():
    n = Narration().read(*ALL, replace={"river of tokens": "stream of words"})
    result = align(n.transcript(), SOURCE, scorer=Scorer({"stream": 6.0}))
    subs = [i for i in result.issues if i.type == "substituted"]
    assert [(i.expected, i.heard) for i in subs] == [("river of tokens", "stream of words")]
    assert subs[0].confidence >= 0.5


def test_verified_confidence_rises_with_the_evidence_and_needs_more_for_substitutions():
    assert verified_confidence("substituted", 0.3, 6.0) > 0.7
    assert verified_confidence("substituted", 1.0, 2.0) < 0.5  # a sound-alike guess
    assert verified_confidence("skipped", 0.45, 4.0) > 0.8
    assert verified_confidence("inserted", 0.85, 0.5) < 0.5


def test_heard_span_maps_issues_to_transcript_words():
    words = [Word("a", 0.0, 0.2), Word("b", 0.3, 0.5), Word("c", 0.6, 0.8)]
    assert heard_span(words, NarrationIssue("substituted", 0.3, 0.5, 0, "x", "b", 0.5)) == (1, 2)
    assert heard_span(words, NarrationIssue("skipped", 0.5, 0.6, 0, "x y", "", 0.9)) == (2, 2)


def test_candidates_keep_whole_words_and_fit_whisper_s_window():
    words = [Word(f"w{k}", k * 1.0, k * 1.0 + 0.5) for k in range(60)]
    window, article, heard = build_candidates(words, 30, 31, "look", 60.0, context=2.0)
    assert heard.split() == ["w28", "w29", "w30", "w31", "w32"]
    assert article.split() == ["w28", "w29", "look", "w31", "w32"]
    assert window.start < 28.0 and window.end > 32.5 and window.duration <= 30.0
    with pytest.raises(ValueError):
        build_candidates(words, 0, 60, "everything", 60.0)  # a 60 s span cannot be scored


def test_captions_show_a_verified_substitution_as_spoken_and_the_article_elsewhere():
    n = Narration().read(*ALL, replace={"river": "mountain"})
    result = align(n.transcript(), SOURCE, scorer=Scorer({"mountain": 6.0}))
    texts = [s.text for s in timed_source_segments(result, n.transcript())]
    assert any("The mountain of tokens" in t for t in texts)
    assert not any("river" in t for t in texts)
    assert any(t == "Every result deserves a second look." for t in texts)  # article spelling
    # unverified (a likely mishearing), the article's words are shown
    doubted = align(n.transcript(), SOURCE, scorer=Scorer({"mountain": 0.0}))
    texts = [s.text for s in timed_source_segments(doubted, n.transcript())]
    assert any("The river of tokens" in t for t in texts)


def test_skipped_sentences_are_not_captioned():
    gone = SENTENCES.index("It matched rivals four times its size.")
    n = Narration().read(*[i for i in ALL if i != gone])
    result = align(n.transcript(), SOURCE, scorer=Scorer({}, default=5.0))
    texts = " ".join(s.text for s in timed_source_segments(result, n.transcript()))
    assert "matched rivals" not in texts


# --------------------------------------------------------------------------- onsets


def _speech_like(rate: int, starts: list[float], total: float, floor: float = 1e-3) -> np.ndarray:
    rng = np.random.default_rng(7)
    x = floor * rng.standard_normal(int(total * rate)).astype(np.float32)  # room tone
    for t in starts:
        k = int(t * rate)
        n = int(0.4 * rate)
        x[k:k + n] += 0.3 * np.sin(np.arange(n) * 2 * np.pi * 180 / rate).astype(np.float32)
    return x


def test_onsets_find_the_rising_edge_to_a_few_milliseconds():
    rate = 16_000
    onsets = SpeechOnsets(_speech_like(rate, [1.0, 2.5, 4.2], 6.0), rate)
    for true in (1.0, 2.5, 4.2):
        for whisper_said in (true - 0.3, true + 0.2):  # Whisper early, Whisper late
            found = onsets(whisper_said, 0.0)
            assert found is not None and abs(found - true) < 0.005, (true, whisper_said, found)


def test_onsets_keep_whisper_s_time_where_the_audio_shows_no_edge():
    rate = 16_000
    onsets = SpeechOnsets(_speech_like(rate, [1.0], 3.0), rate)
    assert onsets(2.4, 0.0) is None  # only room tone around 2.4 s
    assert onsets(1.1, 1.05) is None  # the edge lies before `earliest`
    flat = SpeechOnsets(np.zeros(16_000, dtype=np.float32), 16_000)
    assert flat(0.5, 0.0) is None


def test_sentence_starts_follow_the_audio_not_whisper_s_lag():
    rate = 16_000
    n = Narration().read(*ALL)
    # audio whose sentences start 0.12 s before Whisper's times (Whisper lags)
    starts = [n.starts[s] - 0.12 for s in SENTENCES]
    onsets = SpeechOnsets(_speech_like(rate, starts, n.t + 1.0), rate)
    result = align(n.transcript(), SOURCE, onsets=onsets)
    errors = [abs(s.start - t) for s, t in zip(result.sentences, starts, strict=True)
              if s.start is not None and s.index > 0]
    assert float(np.median(errors)) < 0.01


def test_a_gap_the_audio_shows_full_of_speech_is_no_long_pause():
    # Whisper wrote nothing for 6 s of a voice it could not transcribe: no silence to cut
    n = Narration().read(0, 1).pause(6.0).read(2, 3)

    def pauses(share: float | None) -> list[NarrationIssue]:
        result = align(n.transcript(), SOURCE, voiced=lambda start, end: share)
        return [i for i in result.issues if i.type == "long_pause"]

    assert len(pauses(0.1)) == 1  # mostly room tone, a breath: a pause
    assert pauses(0.9) == []  # mostly speech
    assert len(pauses(None)) == 1  # the audio cannot tell: Whisper's gap stands


def test_voiced_fraction_reads_speech_level_off_the_audio():
    rate = 16_000
    rng = np.random.default_rng(0)
    room = 0.001 * rng.standard_normal(rate * 10)
    voice = room.copy()
    voice[rate * 2 : rate * 5] += 0.3 * np.sin(2 * np.pi * 220 * np.arange(rate * 3) / rate)
    onsets = SpeechOnsets(voice.astype(np.float32), rate)
    assert onsets.voiced_fraction(2.0, 5.0) > 0.95
    assert onsets.voiced_fraction(6.0, 9.0) < 0.05
    assert onsets.voiced_fraction(1.0, 7.0) == pytest.approx(0.5, abs=0.05)
    # room tone alone has no pauses to tell speech from
    assert SpeechOnsets(room.astype(np.float32), rate).voiced_fraction(0.0, 5.0) is None
