"""Alignment logic on synthetic transcripts whose true times are known exactly."""

from __future__ import annotations

import json

import pytest

from audio_pipeline.align.aligner import ONSET_LEAD, align
from audio_pipeline.align.issues import misread_confidence
from audio_pipeline.align.source import parse_source_text
from audio_pipeline.align.verdict import verdict
from audio_pipeline.publish.pickups import render_narration_report
from audio_pipeline.publish.segments import timed_source_segments
from audio_pipeline.types import Segment, Transcript, Word

ARTICLE = """# Training Compute

In 2022 a team trained a model called Chinchilla on far more text. It matched rivals four
times its size. Paul Christiano later wrote about the result.

## What it means

Data matters as much as parameters. The river of tokens must keep flowing. Budgets moved
toward cleaning text. Nobody expected such a quiet revolution.

## Closing

Every result deserves a second look.
"""

SOURCE = parse_source_text(ARTICLE, "markdown")
SENTENCES = [s.text for s in SOURCE.sentences]


class Narration:
    """Builds a transcript word by word at a steady pace and remembers when each
    chunk started, like a recording whose script is known."""

    def __init__(self) -> None:
        self.words: list[Word] = []
        self.t = 0.5
        self.starts: dict[str, float] = {}

    def say(self, text: str, *, prob: float = 0.95, key: str | None = None) -> Narration:
        self.starts[key or text] = self.t
        for w in text.split():
            dur = 0.1 + 0.04 * len(w)
            self.words.append(Word(w, self.t, self.t + dur, prob))
            self.t += dur + 0.05
        self.t += 0.35
        return self

    def read(self, *indices: int, replace: dict[str, str] | None = None) -> Narration:
        for i in indices:
            text = SENTENCES[i]
            for a, b in (replace or {}).items():
                text = text.replace(a, b)
            self.say(text, key=SENTENCES[i])
        return self

    def pause(self, seconds: float) -> Narration:
        self.t += seconds
        return self

    def transcript(self) -> Transcript:
        segs = [
            Segment(
                k,
                self.words[i].start,
                self.words[min(i + 12, len(self.words)) - 1].end,
                "",
                tuple(self.words[i : i + 12]),
            )
            for k, i in enumerate(range(0, len(self.words), 12))
        ]
        return Transcript(tuple(segs), "en", "synthetic", self.t + 0.5)


ALL = range(len(SENTENCES))


def issues(result, kind: str, min_conf: float = 0.5):
    return [i for i in result.issues if i.type == kind and i.confidence >= min_conf]


def test_clean_reading_times_every_sentence_and_flags_nothing():
    n = Narration().read(*ALL)
    result = align(n.transcript(), SOURCE)
    assert result.match == "ok" and result.coverage == 1.0
    assert all(s.status == "read" for s in result.sentences)
    for s in result.sentences:
        assert s.start == pytest.approx(n.starts[s.text] - ONSET_LEAD, abs=0.02)
    assert all(w.heard is not None for w in result.words)
    assert [i for i in result.issues if i.confidence >= 0.5] == []
    assert verdict(result) == "narration: ok, coverage 100.0%, no issues to fix"


def test_alignment_is_pure_and_repeatable():
    tr = Narration().read(*ALL).transcript()
    assert align(tr, SOURCE) == align(tr, SOURCE)


def test_skipped_sentence_found_where_it_should_have_been():
    skipped = SENTENCES.index("It matched rivals four times its size.")
    n = Narration().read(*[i for i in ALL if i != skipped])
    result = align(n.transcript(), SOURCE)
    assert result.sentences[skipped].status == "skipped"
    found = issues(result, "skipped")
    assert [i.sentence for i in found] == [skipped]
    before = result.sentences[skipped - 1].end
    after = n.starts[SENTENCES[skipped + 1]]
    assert before <= found[0].start <= after
    assert all(w.heard is None for w in result.words if w.text in ("matched", "rivals"))
    assert result.match == "ok"


def test_retake_reports_the_abandoned_attempt_and_times_the_kept_one():
    k = SENTENCES.index("The river of tokens must keep flowing.")
    n = Narration().read(*range(k))
    n.say("The river of tokens", key="first")
    n.say("sorry, let me read that again.")
    n.read(*range(k, len(SENTENCES)))
    result = align(n.transcript(), SOURCE)
    (retake,) = issues(result, "repeated")
    assert retake.start == pytest.approx(n.starts["first"] - ONSET_LEAD, abs=0.05)
    assert retake.end == pytest.approx(n.starts[SENTENCES[k]] - ONSET_LEAD, abs=0.05)
    assert result.sentences[k].start == pytest.approx(retake.end, abs=0.05)
    assert issues(result, "inserted", 0.0) == []


def test_retake_after_the_first_reading_was_already_matched():
    # the first attempt is complete, so the aligner pairs it first; the re-read must win
    k = SENTENCES.index("Budgets moved toward cleaning text.")
    n = Narration().read(*range(k + 1))
    n.say("oh no, once more.")
    n.say(SENTENCES[k], key="second")
    n.read(*range(k + 1, len(SENTENCES)))
    result = align(n.transcript(), SOURCE)
    (retake,) = issues(result, "repeated")
    assert retake.end == pytest.approx(n.starts["second"] - ONSET_LEAD, abs=0.05)
    assert result.sentences[k].start == pytest.approx(n.starts["second"] - ONSET_LEAD, abs=0.05)


def test_ad_lib_is_inserted_speech():
    k = SENTENCES.index("Data matters as much as parameters.")
    n = Narration().read(*range(k + 1))
    n.say("I have always found this part fascinating.", key="adlib")
    n.read(*range(k + 1, len(SENTENCES)))
    result = align(n.transcript(), SOURCE)
    (ins,) = issues(result, "inserted")
    assert ins.start == pytest.approx(n.starts["adlib"] - ONSET_LEAD, abs=0.05)
    assert "fascinating" in ins.heard and ins.sentence == k + 1
    assert all(s.status == "read" for s in result.sentences)


def test_ad_lib_that_begins_like_the_next_sentence_is_not_a_retake():
    k = SENTENCES.index("The river of tokens must keep flowing.")
    n = Narration().read(*range(k))
    n.say("The river is my favourite image here.", key="adlib")
    n.read(*range(k, len(SENTENCES)))
    result = align(n.transcript(), SOURCE)
    assert issues(result, "repeated", 0.0) == []
    (ins,) = issues(result, "inserted")
    assert ins.start == pytest.approx(n.starts["adlib"] - ONSET_LEAD, abs=0.05)
    assert result.sentences[k].start == pytest.approx(n.starts[SENTENCES[k]] - ONSET_LEAD, abs=0.05)


def test_misread_is_flagged_but_a_misheard_name_is_not():
    n = Narration().read(*ALL, replace={"Christiano": "Cristiano"})
    quiet = align(n.transcript(), SOURCE)
    assert [i for i in quiet.issues if i.confidence >= 0.5] == []
    word = next(w for w in quiet.words if w.text == "Christiano")
    assert word.heard == "Cristiano" and word.start is not None

    n = Narration().read(*ALL, replace={"river": "mountain"})
    result = align(n.transcript(), SOURCE)
    (sub,) = issues(result, "substituted")
    assert (sub.expected, sub.heard) == ("river", "mountain")
    assert result.sentences[sub.sentence].text.startswith("The river")


def test_misread_confidence_weighs_sound_and_probability():
    assert misread_confidence("river", "mountain", 0.95) >= 0.8
    assert misread_confidence("river", "mountain", 0.3) < 0.5  # Whisper itself unsure
    assert misread_confidence("Chinchilla", "chin chiller", 0.9) < 0.5  # sounds alike
    assert misread_confidence("fed", "and", 0.95) < 0.5  # a filler Whisper guessed
    assert misread_confidence("look", "look.", 0.9) == 0.0


def test_long_pause_inside_the_body_only():
    k = SENTENCES.index("Budgets moved toward cleaning text.")
    n = Narration().pause(6.0).read(*range(k)).pause(8.0).read(*range(k, len(SENTENCES)))
    result = align(n.transcript(), SOURCE)
    (gap,) = issues(result, "long_pause")
    assert gap.end - gap.start == pytest.approx(8.35 - ONSET_LEAD, abs=0.05)
    assert gap.sentence == k
    assert align(n.transcript(), SOURCE, long_pause=10.0).issues == ()


def test_intro_and_outro_are_reported_not_counted():
    n = Narration().say("Welcome to the podcast, this is episode four.", key="intro")
    n.read(*ALL).say("Thanks for listening, see you soon.", key="outro")
    result = align(n.transcript(), SOURCE)
    intro, outro = issues(result, "intro"), issues(result, "outro")
    assert intro[0].start == pytest.approx(n.starts["intro"] - ONSET_LEAD, abs=0.05)
    assert intro[0].end < result.sentences[0].start
    assert outro[0].start >= result.sentences[-1].end
    assert "no issues to fix" in verdict(result)


def test_spoken_numbers_and_dropped_words_still_time_the_text():
    n = Narration().read(*ALL, replace={"2022": "twenty twenty-two", " called": ""})
    result = align(n.transcript(), SOURCE)
    year = next(w for w in result.words if w.text == "2022")
    assert year.heard == "twenty twenty-two"
    called = next(w for w in result.words if w.text == "called")
    before, after = (result.words[result.words.index(called) + d] for d in (-1, 1))
    assert called.heard is None and before.end <= called.start <= called.end <= after.start
    assert result.sentences[1].status == "read"


def test_wrong_text_is_a_mismatch_and_partial_reading_is_partial():
    other = Narration().say(
        "Shall I compare thee to a summer's day? Thou art more lovely and more temperate. "
        "Rough winds do shake the darling buds of May, and summer's lease hath all too short."
    )
    result = align(other.transcript(), SOURCE)
    assert result.match == "mismatch" and result.coverage < 0.25
    assert result.chapters == ()
    assert "mismatch" in verdict(result)
    half = Narration().read(*range(len(SENTENCES) // 2))
    assert align(half.transcript(), SOURCE).match == "partial"


def test_summary_found_in_the_intro_and_absent_otherwise():
    summary = "A team trained Chinchilla on far more text and matched bigger rivals."
    n = Narration().say(summary, key="summary").read(*ALL)
    found = align(n.transcript(), SOURCE, summary=summary).summary
    assert found.found and found.score >= 0.8
    assert found.start == pytest.approx(n.starts["summary"] - ONSET_LEAD, abs=0.05)
    plain = Narration().read(*ALL)
    loc = align(plain.transcript(), SOURCE, summary="Quantum chromodynamics of quarks.").summary
    assert not loc.found


def test_chapters_per_heading_with_intro():
    n = Narration().say("Hello and welcome to the show.").read(*ALL)
    result = align(n.transcript(), SOURCE, audio_duration=n.t + 2)
    titles = [c.title for c in result.chapters]
    assert titles == ["Introduction", "Training Compute", "What it means", "Closing"]
    assert result.chapters[0].start == 0.0
    assert result.chapters[2].start == pytest.approx(
        n.starts["What it means"] - ONSET_LEAD, abs=0.05
    )
    assert result.chapters[-1].end == pytest.approx(n.t + 2)
    for a, b in zip(result.chapters, result.chapters[1:], strict=False):
        assert a.end == b.start


def test_unread_heading_starts_its_chapter_at_the_next_sentence():
    heading = SENTENCES.index("What it means")
    n = Narration().read(*[i for i in ALL if i != heading])
    result = align(n.transcript(), SOURCE)
    chapter = next(c for c in result.chapters if c.title == "What it means")
    assert chapter.start == pytest.approx(n.starts[SENTENCES[heading + 1]] - ONSET_LEAD, abs=0.05)
    skipped = [i for i in result.issues if i.type == "skipped"]
    assert skipped and all(i.confidence < 0.5 for i in skipped)


def test_no_headings_means_no_chapters():
    src = parse_source_text("One sentence here. Another sentence there.", "text")
    tr = Narration().say("One sentence here. Another sentence there.").transcript()
    assert align(tr, src).chapters == ()


def test_drifted_word_after_a_silence_is_pulled_back():
    n = Narration().read(0, 1)
    n.pause(3.0)
    k = len(n.words)
    n.read(*range(2, len(SENTENCES)))
    drifted = list(n.words)
    w = drifted[k]
    drifted[k] = Word(w.text, w.start - 2.5, w.end, w.probability)  # Whisper's early onset
    tr = Transcript((Segment(0, 0, n.t, "", tuple(drifted)),), "en", "x", n.t)
    result = align(tr, SOURCE)
    assert result.sentences[2].start == pytest.approx(n.starts[SENTENCES[2]], abs=0.3)


def test_timed_source_segments_use_article_spelling_and_whisper_outside():
    n = Narration().say("Welcome to the show.", key="intro")
    n.read(*ALL, replace={"2022": "twenty twenty-two"})
    tr = n.transcript()
    result = align(tr, SOURCE)
    segs = timed_source_segments(result, tr)
    assert segs[0].text == "Welcome to the show."
    assert segs[1].text == SENTENCES[0]
    year_seg = next(s for s in segs if "2022" in s.text)
    assert [w.text for w in year_seg.words][:2] == ["In", "2022"]
    assert [s.start for s in segs] == sorted(s.start for s in segs)
    assert [s.id for s in segs] == list(range(len(segs)))
    assert len(segs) == len(SENTENCES) + 1


def test_report_lists_pickups_with_times_and_actions():
    skipped = SENTENCES.index("It matched rivals four times its size.")
    n = Narration().read(*[i for i in ALL if i != skipped], replace={"river": "mountain"})
    result = align(n.transcript(), SOURCE)
    report = render_narration_report(result, title="Chinchilla")
    assert report.startswith("# Narration pickups: Chinchilla")
    assert "It matched rivals four times its size." in report
    assert "| substituted | river | mountain |" in report
    line = verdict(result)
    assert line.startswith("narration: ok, coverage ") and "2 issues to fix" in line
    assert "(1 skipped, 1 substituted)" in line


def test_to_json_has_the_documented_keys():
    result = align(Narration().read(*ALL).transcript(), SOURCE, summary=SENTENCES[1])
    doc = json.loads(json.dumps(result.to_json()))
    assert set(doc) == {"coverage", "match", "sentences", "words", "issues", "summary", "chapters"}
    assert doc["sentences"][0]["status"] == "read"
    assert doc["summary"]["found"] is True


def test_empty_transcript_skips_everything():
    result = align(Transcript((), "en", "x", 10.0), SOURCE)
    assert result.match == "mismatch" and result.coverage == 0.0
    assert all(s.status == "skipped" for s in result.sentences)


ADLIBS = [
    "I love this part of the article.",
    "Quick note from me before we go on.",
    "Hold on, my coffee is getting cold.",
    "Remember to subscribe if you enjoy these episodes.",
]


def test_retakes_and_ad_libs_found_wherever_they_happen():
    body = [i for i in ALL if SOURCE.sentences[i].kind == "sentence"]
    found = total = 0
    for n_case, k in enumerate(body):
        words = SENTENCES[k].split()
        retake = Narration().read(*range(k))
        retake.say(" ".join(words[: max(2, len(words) // 2)]), key="first")
        retake.say("sorry, let me start that again.")
        retake.read(*range(k, len(SENTENCES)))
        result = align(retake.transcript(), SOURCE)
        hits = [
            i
            for i in issues(result, "repeated")
            if abs(i.start - (retake.starts["first"] - ONSET_LEAD)) <= 0.3
            and abs(i.end - (retake.starts[SENTENCES[k]] - ONSET_LEAD)) <= 0.3
        ]
        found += len(hits) == 1
        adlib = Narration().read(*range(k))
        adlib.say(ADLIBS[n_case % len(ADLIBS)], key="adlib")
        adlib.read(*range(k, len(SENTENCES)))
        result = align(adlib.transcript(), SOURCE)
        hits = [
            i
            for i in issues(result, "inserted")
            if abs(i.start - (adlib.starts["adlib"] - ONSET_LEAD)) <= 0.3
        ]
        found += len(hits) == 1
        total += 2
        assert all(s.status != "skipped" for s in result.sentences)
    assert found / total >= 0.9, f"{found}/{total}"
