"""Where Whisper's words are a poor witness: article words it garbled or dropped count as
read when the audio confirms them (align.confirm), a word paired with its neighbour is
no substitution, and one long word garbled into short ones is no ad-lib. Pure logic: the
scorer is the stand-in of test_fidelity, answering the ratios the test chooses."""

from __future__ import annotations

import pytest
from test_align import ALL, SENTENCES, SOURCE, Narration
from test_fidelity import Scorer

from audio_pipeline.align.aligner import ONSET_LEAD, align
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


GARBLE = "Zq vxo plem mnar wrku tkzo bzor."  # a sentence's worth of sound, nothing like its words
MATCHED = "It matched rivals four times its size."


def _garbled(sentence: str) -> Narration:
    n = Narration()
    for text in SENTENCES:
        n.say(GARBLE if text == sentence else text, key=text)
    return n


def test_a_sentence_whisper_garbled_whole_is_read_when_the_audio_says_so():
    n = _garbled(MATCHED)
    result = align(n.transcript(), SOURCE, scorer=Scorer({"Zq": 0.5}))
    sentence = next(s for s in result.sentences if s.text == MATCHED)
    assert sentence.status == "read" and result.coverage == 1.0
    assert not [i for i in result.issues if i.type in ("skipped", "inserted", "substituted")]
    # its words are timed across the garbled speech, in order
    words = [w for w in result.words if w.confirmed]
    assert [w.text for w in words] == MATCHED.rstrip(".").split()
    garble = [w for w in n.words if w.text in GARBLE.split()]
    assert words[0].start == pytest.approx(garble[0].start - ONSET_LEAD)
    assert words[-1].end == pytest.approx(garble[-1].end)
    assert all(a.end == pytest.approx(b.start) for a, b in zip(words, words[1:], strict=False))


def test_a_sentence_replaced_by_other_words_the_audio_says_stays_skipped():
    n = _garbled(MATCHED)
    result = align(n.transcript(), SOURCE, scorer=Scorer({"Zq": 4.0}))
    assert next(s for s in result.sentences if s.text == MATCHED).status == "skipped"
    assert not any(w.confirmed for w in result.words if w.text in MATCHED.split())
    flagged = [i for i in to_fix(result) if i.type in ("skipped", "substituted")]
    assert [i.expected for i in flagged] == [MATCHED]
    # the floor is that of a skip's evidence: a ratio a substitution would pass is not
    # enough to call a whole sentence read
    between = align(n.transcript(), SOURCE, scorer=Scorer({"Zq": 1.5}))
    assert next(s for s in between.sentences if s.text == MATCHED).status == "skipped"
    # but the skip keeps that answer as its evidence, which is too weak to be to fix
    (skip,) = [i for i in between.issues if i.expected == MATCHED]
    assert skip.llr == 1.5 and skip not in to_fix(between)


def test_a_garbled_title_is_no_intro_and_no_skip_when_the_audio_says_it_was_read():
    title = SENTENCES[0]
    result = align(_garbled(title).transcript(), SOURCE, scorer=Scorer({"Zq": 0.0}))
    assert result.sentences[0].status == "read" and result.coverage == 1.0
    assert not [i for i in result.issues if i.type in ("intro", "skipped")]
    assert result.chapters[0].title == title and result.chapters[0].start < 0.5
    # an intro the narrator added before a title they left out stays both
    kept = align(_garbled(title).transcript(), SOURCE, scorer=Scorer({"Zq": 6.0}))
    assert kept.sentences[0].status == "skipped"
    assert [i.type for i in kept.issues][:2] == ["intro", "skipped"]


def test_a_plain_skip_is_never_confirmed_whatever_the_scorer_says():
    # nothing was heard in its place: there is no garble to take for the sentence
    n = Narration().read(*[k for k, s in enumerate(SENTENCES) if s != MATCHED])
    result = align(n.transcript(), SOURCE, scorer=Scorer({}, default=-5.0))
    assert next(s for s in result.sentences if s.text == MATCHED).status == "skipped"
    assert result.coverage < 1.0 and not any(w.confirmed for w in result.words)


def test_the_rest_of_a_garbled_word_is_not_an_ad_lib():
    # "Budgets" heard "Bu da gets": "gets" pairs with it, "Bu da" is left over, touching
    # it, and only with it reaches the word's length (Russian "Исследователи" heard
    # "И с недомателем" in benchmarks/languages.py)
    garbled = align(Narration().read(*ALL, replace={"Budgets moved": "Bu da gets moved"})
                    .transcript(), SOURCE)
    assert not [i for i in garbled.issues if i.type == "inserted"]
    # two words said before a word read exactly are an ad-lib still
    added = align(Narration().read(*ALL, replace={"quiet revolution": "quiet and very revolution"})
                  .transcript(), SOURCE)
    assert [i.heard for i in added.issues if i.type == "inserted"] == ["and very"]


LEFT_OUT = "The river of tokens must keep flowing."
GARBLED_AROUND = ("Data matters as much as parameters.", "Budgets moved toward cleaning text.")


class _ReadingScorer:
    """The audio holds the two GARBLED_AROUND sentences, garbled by Whisper, and not
    LEFT_OUT: a reading of the run is likely only when it is exactly those two, and the
    run's text with LEFT_OUT is clearly less likely than without it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int | None]] = []

    def __call__(self, window, article: str, heard: str, head=None, acoustic=False) -> float:
        self.calls.append((article, heard, head))
        if "Zq" in heard:  # an article reading against what Whisper wrote
            read = all(s.rstrip(".") in article for s in GARBLED_AROUND)
            return 0.4 if read and LEFT_OUT.rstrip(".") not in article else 3.0
        left_out = LEFT_OUT.rstrip(".")
        return 6.0 if left_out in article and left_out not in heard else 0.0


def _left_out_among_garbles() -> Narration:
    """LEFT_OUT not read; the two GARBLED_AROUND sentences read, and garbled by Whisper."""
    n = Narration()
    for text in SENTENCES:
        if text in GARBLED_AROUND:
            n.say(GARBLE, key=text)
        elif text != LEFT_OUT:
            n.say(text)
    return n


def test_a_sentence_left_out_among_sentences_whisper_garbled_is_the_skip():
    # the narrator left the middle one of three sentences out, and Whisper garbled the
    # two read either side: no reading of all three matches the speech, the two do
    n = _left_out_among_garbles()
    scorer = _ReadingScorer()
    result = align(n.transcript(), SOURCE, scorer=scorer)
    status = {s.text: s.status for s in result.sentences}
    assert status[LEFT_OUT] == "skipped"
    assert all(status[s] == "read" for s in GARBLED_AROUND)
    assert [(i.type, i.expected, i.llr) for i in to_fix(result)] == [("skipped", LEFT_OUT, 6.0)]
    assert not [i for i in result.issues if i.type in ("inserted", "substituted")]
    # its place is between the two garbled sentences, which are timed in their speech
    (skip,) = [i for i in result.issues if i.type == "skipped"]
    first, second = (next(s for s in result.sentences if s.text == t) for t in GARBLED_AROUND)
    assert first.end == pytest.approx(skip.start) and skip.end == pytest.approx(second.start)
    assert first.start >= n.starts[GARBLED_AROUND[0]] - 0.2
    assert second.end <= n.t
    # the skip's evidence was asked where the two texts part, as every skip is
    assert any(head is not None and "Zq" not in heard for _, heard, head in scorer.calls)


def test_no_reading_of_a_garbled_run_the_audio_likes_keeps_the_skips_as_they_were():
    n = _left_out_among_garbles()
    result = align(n.transcript(), SOURCE, scorer=Scorer({"Zq": 3.0}))
    assert all(s.status == "skipped" for s in result.sentences
               if s.text in (*GARBLED_AROUND, LEFT_OUT))
    assert not any(w.confirmed for w in result.words)


def test_speech_in_place_of_an_unheard_word_is_asked_about_as_that_word():
    # "réussite" heard as "'est vrai aussi que je": too many words to be its garble by the
    # text alone, so the aligner sees an ad-lib there. The audio must be asked whether it
    # holds more than the article's word in that place, not more than nothing: without
    # the word, the speech that said it counts as the ad-lib's evidence
    n = Narration().read(*ALL, replace={"revolution": "a revel you shun and all that"})
    scorer = Scorer({}, default=0.0)
    result = align(n.transcript(), SOURCE, scorer=scorer)
    (ad_lib,) = [i for i in result.issues if i.type == "inserted"]
    asked = [(article, heard) for _, article, heard in scorer.calls
             if "revel you shun" in heard and "revel" not in article]
    assert asked and all("quiet revolution" in article for article, _ in asked)
    assert ad_lib not in to_fix(result)
