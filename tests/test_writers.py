import json

from audio_pipeline.publish.writers import (
    LINE_CHARS,
    render_json,
    render_srt,
    render_txt,
    render_vtt,
    split_cues,
    write_transcripts,
)
from audio_pipeline.types import Segment, Word


def _segment(i: int, start: float, words: list[str], step: float = 0.4) -> Segment:
    ws = tuple(
        Word(w, start + k * step, start + k * step + step * 0.8, 0.9) for k, w in enumerate(words)
    )
    return Segment(i, ws[0].start, ws[-1].end, " ".join(words), ws)


def test_srt_has_numbered_cues_with_comma_milliseconds():
    srt = render_srt([_segment(0, 1.5, ["Hello", "world."]), _segment(1, 3661.25, ["Bye."])])
    # each cue stays up at least a second (the words took 0.72 s and 0.32 s)
    assert srt.startswith("1\n00:00:01,500 --> 00:00:02,500\nHello world.\n")
    assert "2\n01:01:01,250 --> 01:01:02,250\nBye.\n" in srt


def test_vtt_escapes_ampersand_and_less_than_in_cue_text():
    # Regression: an article's "R&D" and "<x>" went raw into the WebVTT cue text, where
    # "<x>" parses as a tag and disappears from the screen.
    vtt = render_vtt([_segment(0, 0.0, ["R&D", "of", "<x>", "is", "a", "->", "b"])])
    cue = vtt.split("\n\n", 1)[1]
    assert "R&amp;D of &lt;x> is a -> b" in cue
    assert "<" not in cue and "&D" not in cue


def test_vtt_starts_with_header_and_uses_dot_milliseconds():
    vtt = render_vtt([_segment(0, 0.0, ["a", "-->", "b"])])
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> ")
    assert "a -> b" in vtt


def test_long_segment_is_split_into_short_cues_at_word_boundaries():
    words = [f"word{i}" for i in range(60)]
    cues = split_cues([_segment(0, 0.0, words)])
    assert len(cues) > 3
    assert all(len(c.text) <= 2 * LINE_CHARS for c in cues)
    assert all(c.end - c.start <= 7.0 + 1e-6 for c in cues)
    assert " ".join(c.text for c in cues) == " ".join(words)


def test_cues_never_overlap_even_when_segments_do():
    a = _segment(0, 0.0, ["one", "two", "three"])
    b = Segment(1, 0.5, 0.9, "overlap", ())
    cues = split_cues([a, b])
    assert all(x.end <= y.start for x, y in zip(cues, cues[1:], strict=False))


def test_srt_cues_have_at_most_two_lines_of_42_characters():
    srt = render_srt([_segment(0, 0.0, ["abcdefghij"] * 7, step=0.05)])
    for block in srt.strip().split("\n\n"):
        text_lines = block.splitlines()[2:]
        assert 1 <= len(text_lines) <= 2
        assert all(len(line) <= LINE_CHARS for line in text_lines)
    assert srt.count("abcdefghij") == 7


def test_txt_one_line_per_segment_and_json_has_words():
    segs = [_segment(0, 0.0, ["Hi", "there."]), _segment(1, 2.0, ["Next."])]
    assert render_txt(segs) == "Hi there.\nNext.\n"
    doc = json.loads(render_json(segs, language="en", model="tiny.en"))
    assert doc["language"] == "en" and doc["model"] == "tiny.en"
    assert doc["segments"][0]["words"][1] == {
        "text": "there.",
        "start": 0.4,
        "end": 0.72,
        "probability": 0.9,
    }


def test_write_transcripts_writes_every_format_atomically(tmp_path):
    written = write_transcripts([_segment(0, 0.0, ["Hello."])], tmp_path, "ep")
    assert set(written) == {"srt", "vtt", "txt", "json"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ep.json", "ep.srt", "ep.txt", "ep.vtt"]


def test_a_full_cue_breaks_after_a_clause_rather_than_mid_phrase():
    words = "From fairest creatures we desire increase, that thereby beauty's rose might never die,"
    cues = split_cues([_segment(0, 0.0, words.split())])
    assert cues[0].text == "From fairest creatures we desire increase,"
    assert cues[1].text.startswith("that thereby")
