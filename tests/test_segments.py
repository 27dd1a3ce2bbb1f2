from audio_pipeline.publish.segments import timed_source_segments
from audio_pipeline.types import (
    Alignment,
    Segment,
    SummaryLocation,
    TimedSentence,
    TimedWord,
    Transcript,
    Word,
)


def test_timed_source_words_keep_the_articles_punctuation_for_subtitles():
    words = ("Before", "2010", "compute", "grew", "slowly", "then", "fast")
    timed = tuple(TimedWord(w, i * 0.5, i * 0.5 + 0.4, w.lower()) for i, w in enumerate(words))
    sentence = TimedSentence(
        0, "sentence", "Before 2010, compute grew (slowly). then—fast!", 0.0, 3.4, "read"
    )
    alignment = Alignment(1.0, "ok", (sentence,), timed, (), SummaryLocation(False), ())
    heard = tuple(Word(w.lower(), t.start, t.end, 0.9) for w, t in zip(words, timed, strict=False))
    transcript = Transcript((Segment(0, 0.0, 3.4, "", heard),), "en", "tiny.en", 4.0)
    [segment] = timed_source_segments(alignment, transcript)
    assert [w.text for w in segment.words] == [
        "Before",
        "2010,",
        "compute",
        "grew",
        "(slowly).",
        "then—",
        "fast!",
    ]
    assert segment.text == "Before 2010, compute grew (slowly). then—fast!"
