"""Where Whisper's words are a poor witness: article words it garbled or dropped count as
read when the audio confirms them (align.confirm), a word paired with its neighbour is
no substitution, and one long word garbled into short ones is no ad-lib. Pure logic: the
scorer is the stand-in of test_fidelity, answering the ratios the test chooses."""

from __future__ import annotations

from test_align import ALL, SOURCE, Narration
from test_fidelity import Scorer

from audio_pipeline.align.aligner import align
from audio_pipeline.align.verdict import to_fix


def test_a_word_paired_with_its_neighbour_is_not_a_substitution():
    # "revolution" written twice where "quiet revolution" was read: the aligner pairs
    # "quiet" with the first; the audio would confirm that word, which was read, so a
    # substitution "quiet" -> "revolution" would be a false flag (4 of the 5 in
    # benchmarks/fidelity.py before this rule)
    n = Narration().read(*ALL, replace={"quiet revolution": "revolution revolution"})
    result = align(n.transcript(), SOURCE, scorer=Scorer({}, default=6.0))
    assert not [i for i in result.issues if i.type == "substituted"]
    # a different word there is still one
    n = Narration().read(*ALL, replace={"quiet revolution": "loud revolution"})
    result = align(n.transcript(), SOURCE, scorer=Scorer({}, default=6.0))
    assert [(i.expected, i.heard) for i in to_fix(result)] == [("quiet", "loud")]


def test_garbled_words_the_audio_confirms_count_as_read():
    clean = align(Narration().read(*ALL).transcript(), SOURCE, scorer=Scorer({}))
    n = Narration().read(*ALL, replace={"moved toward cleaning": "zq xv"})
    garbled = ("moved", "toward", "cleaning")
    misheard = align(n.transcript(), SOURCE, scorer=Scorer({"zq": 0.5}))
    words = [w for w in misheard.words if w.text in garbled]
    assert all(w.heard is None and w.confirmed for w in words) and len(words) == 3
    assert misheard.coverage == clean.coverage == 1.0
    assert not to_fix(misheard)
    # the audio says the heard words: a substitution to fix, and the words were not read
    misread = align(n.transcript(), SOURCE, scorer=Scorer({"zq": 6.0}))
    assert not any(w.confirmed for w in misread.words)
    assert misread.coverage < clean.coverage
    assert [(i.expected, i.heard) for i in to_fix(misread)] == [
        ("moved toward cleaning", "zq xv")]


def test_a_dropped_word_counts_as_read_only_when_the_audio_has_it():
    n = Narration().read(*ALL)
    n.words = [w for w in n.words if w.text != "quiet"]  # Whisper left it out
    unverified = align(n.transcript(), SOURCE)
    assert unverified.coverage < 1.0
    heard = align(n.transcript(), SOURCE, scorer=Scorer({}, default=0.0))
    assert heard.coverage == 1.0 and next(w for w in heard.words if w.text == "quiet").confirmed
    skipped = align(n.transcript(), SOURCE, scorer=Scorer({}, default=5.0))
    assert skipped.coverage == unverified.coverage
    assert not any(w.confirmed for w in skipped.words)


def test_one_long_word_garbled_into_several_short_ones_is_not_an_ad_lib():
    n = Narration().read(*ALL, replace={"revolution": "an odd eel thing"})
    result = align(n.transcript(), SOURCE)
    assert not [i for i in result.issues if i.type == "inserted"]
    (sub,) = [i for i in result.issues if i.type == "substituted"]
    assert sub.expected == "revolution" and sub.heard == "an odd eel thing."


def test_confirmed_is_in_the_alignment_json():
    n = Narration().read(*ALL)
    n.words = [w for w in n.words if w.text != "quiet"]
    doc = align(n.transcript(), SOURCE, scorer=Scorer({}, default=0.0)).to_json()
    quiet = next(w for w in doc["words"] if w["text"] == "quiet")
    assert quiet["heard"] is None and quiet["confirmed"] is True
    assert all(set(w) == {"text", "start", "end", "heard", "confirmed"} for w in doc["words"])
