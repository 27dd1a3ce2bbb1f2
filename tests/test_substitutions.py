"""Substitutions where Whisper is a weak witness: a model less sure of the whole recording
(another language, a voice it hears badly), a word it wrote in pieces, and a function
word it guessed wrong after an unexpected word. Pure logic: the transcript is built by
test_align's Narration and the scorer is test_fidelity's stand-in."""

from __future__ import annotations

import dataclasses

from test_align import ALL, SOURCE, Narration
from test_fidelity import Scorer

from audio_pipeline.align.aligner import align
from audio_pipeline.align.misread import misread_confidence, typical_probability
from audio_pipeline.align.verdict import to_fix


def _with_probabilities(n: Narration, probabilities: dict[str, float],
                        default: float | None = None) -> Narration:
    n.words = [dataclasses.replace(w, probability=probabilities.get(
                   w.text, w.probability if default is None else default)) for w in n.words]
    return n


def test_typical_probability_is_the_median_and_says_nothing_on_few_words():
    assert typical_probability([0.5] * 19) == 1.0
    assert typical_probability([0.2] * 10 + [0.6] + [0.9] * 10) == 0.6


def test_the_probability_gate_is_relative_to_the_recording():
    # where the rule was calibrated (Whisper sure of what it heard right) nothing moves
    assert misread_confidence("river", "mountain", 0.45, typical=0.95) == 0.0
    assert misread_confidence("river", "mountain", 0.45, typical=0.9) == 0.0
    # a model half as sure of everything is as sure of a misread as of anything
    assert misread_confidence("river", "mountain", 0.45, typical=0.5) >= 0.8
    # the bar is never raised above the calibrated one
    assert misread_confidence("river", "mountain", 0.95, typical=1.0) == misread_confidence(
        "river", "mountain", 0.95)


def test_a_misread_is_found_on_a_recording_whisper_is_unsure_of_throughout():
    unsure = _with_probabilities(
        Narration().read(*ALL, replace={"river": "mountain"}), {"mountain": 0.45}, 0.5)
    found = to_fix(align(unsure.transcript(), SOURCE, scorer=Scorer({"mountain": 6.0})))
    assert [(i.type, i.expected, i.heard) for i in found] == [
        ("substituted", "river", "mountain")]
    # the same word as doubted on a recording Whisper is sure of is a mishearing
    sure = _with_probabilities(
        Narration().read(*ALL, replace={"river": "mountain"}), {"mountain": 0.45})
    result = align(sure.transcript(), SOURCE, scorer=Scorer({"mountain": 6.0}))
    assert not [i for i in result.issues if i.type == "substituted"]


def test_a_word_whisper_wrote_in_pieces_is_heard_whole():
    # "Sprachmodelle" heard "Streich" "-Mobil": the pieces are one heard word
    n = Narration().read(*ALL, replace={"river": "Streich -Mobil"})
    result = align(n.transcript(), SOURCE, scorer=Scorer({"Streich": 6.0}))
    (sub,) = [i for i in result.issues if i.type == "substituted"]
    assert (sub.expected, sub.heard) == ("river", "Streich -Mobil")
    streich, mobil = (w for w in n.words if w.text in ("Streich", "-Mobil"))
    assert (sub.start, sub.end) == (streich.start, mobil.end)
    assert sub in to_fix(result) and not [i for i in result.issues if i.type == "inserted"]


def test_a_function_word_guessed_wrong_after_a_misread_does_not_hide_it():
    # "herramientas en estos" for "herramientas de estos": after the word it did not
    # expect, Whisper's guess at the short word is weak, and says nothing of the misread
    n = _with_probabilities(Narration().read(*ALL, replace={"river of": "mountain on"}),
                            {"mountain": 0.68, "on": 0.3})
    found = to_fix(align(n.transcript(), SOURCE, scorer=Scorer({"mountain": 6.0})))
    assert [(i.expected, i.heard) for i in found if i.type == "substituted"] == [
        ("river", "mountain")]
