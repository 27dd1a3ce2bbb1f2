from __future__ import annotations

from pathlib import Path

import pytest

from audio_pipeline.align.source import parse_source, parse_source_text, sniff_format
from audio_pipeline.align.textnorm import spoken_tokens
from audio_pipeline.errors import SourceError

MARKDOWN = """# The Title

Dr. Smith met Mr. Jones in 2022, e.g. at 50% capacity [1]. See https://example.com/a
for more^2! Really? Yes.

| col a | col b |
|-------|-------|
| 1     | 2     |

```python
print("never read")
```

![a chart](chart.png)

- item one
- item two

Setext heading
--------------

Visit [the site](http://example.com) with J. R. R. Tolkien.

[^1]: A footnote nobody reads.
"""


def _texts(source):
    return [(s.kind, s.text) for s in source.sentences]


def test_markdown_headings_sentences_and_dropped_markup():
    src = parse_source_text(MARKDOWN, "markdown")
    assert _texts(src) == [
        ("heading", "The Title"),
        ("sentence", "Dr. Smith met Mr. Jones in 2022, e.g. at 50% capacity."),
        ("sentence", "See for more!"),
        ("sentence", "Really?"),
        ("sentence", "Yes."),
        ("sentence", "item one"),
        ("sentence", "item two"),
        ("heading", "Setext heading"),
        ("sentence", "Visit the site with J. R. R. Tolkien."),
    ]
    assert [s.heading_level for s in src.headings] == [1, 2]
    words = " ".join(w.text for w in src.words)
    for dropped in ("never", "chart", "col", "https", "footnote", "[1]", "^2"):
        assert dropped not in words


def test_offsets_point_into_readable_text():
    src = parse_source_text(MARKDOWN, "markdown")
    for s in src.sentences:
        assert src.text[s.start_char : s.end_char] == s.text
        for w in src.words[s.first_word : s.last_word + 1]:
            assert src.text[w.start_char : w.end_char] == w.text
            assert w.sentence == s.index
    assert [w.text for w in src.words[2:5]] == ["Dr.", "Smith", "met"]


def test_spoken_forms_of_numbers_and_abbreviations():
    src = parse_source_text("In 2022 about 50% of 1,200 people, e.g. Dr. Who, paid $5 etc.", "text")
    spoken = {w.text: w.spoken for w in src.words}
    assert spoken["2022"] == ("twenty", "twenty", "two")
    assert spoken["50%"] == ("fifty", "percent")
    assert spoken["1,200"] == ("one", "thousand", "two", "hundred")
    assert spoken["e.g."] == ("for", "example")
    assert spoken["Dr."] == ("doctor",)
    assert spoken["$5"] == ("five", "dollars")
    assert spoken["etc"] == ("et", "cetera")  # its period ends the sentence


@pytest.mark.parametrize(
    ("written", "tokens"),
    [
        ("1990s", ("nineteen", "nineties")),
        ("21st", ("twenty", "first")),
        ("3.5", ("three", "point", "five")),
        ("self-substantial", ("self", "substantial")),
        ("beauty's", ("beautys",)),
        ("Café", ("cafe",)),
        ("GPT-3", ("gpt", "three")),
        ("—", ()),
    ],
)
def test_spoken_tokens(written, tokens):
    assert spoken_tokens(written) == tokens


def test_html_blocks_and_skipped_elements():
    html = (
        "<html><head><title>Not read</title><style>p{}</style></head><body>"
        "<nav>Home | About</nav><h1>Head</h1><p>Hello <b>world</b>.<sup>[3]</sup> "
        "More text here.</p><pre>code</pre><table><tr><td>cell</td></tr></table>"
        "<h2>Second</h2><p>Last &amp; final.</p><script>var x = 1;</script></body></html>"
    )
    src = parse_source_text(html, "html")
    assert _texts(src) == [
        ("heading", "Head"),
        ("sentence", "Hello world."),
        ("sentence", "More text here."),
        ("heading", "Second"),
        ("sentence", "Last & final."),
    ]
    assert src.words[-2].spoken == ("and",)


def test_html_footnote_sections_and_footer_are_not_read():
    # Regression: HTML footnotes (pandoc / markdown-it output) and the page footer were
    # kept as article text, unlike markdown footnotes, and showed up as narration issues.
    html = (
        "<body><p>Body text.<sup><a href='#fn1'>1</a></sup></p>"
        "<section class='footnotes'><hr><ol><li id='fn1'><p>Note one.</p></li></ol></section>"
        "<div class='footnotes-sep x'></div><ol class='footnotes-list'><li>Note two.</li></ol>"
        "<aside role='doc-endnotes'><p>Note three.</p></aside>"
        "<hr class='footnote'><p>After notes.</p><footer><p>Copyright 2023.</p></footer></body>"
    )
    src = parse_source_text(html, "html")
    assert _texts(src) == [("sentence", "Body text."), ("sentence", "After notes.")]


def test_a_lowercase_letter_before_a_period_ends_the_sentence():
    # Regression: "less than y. This ..." was read as an initial and merged two sentences
    # into one subtitle/transcript line.
    src = parse_source_text("The value of x is less than y. This is next. By J. R. Smith.", "text")
    assert [s.text for s in src.sentences] == [
        "The value of x is less than y.", "This is next.", "By J. R. Smith."]


def test_plain_text_headings_and_verse_lines():
    text = (
        "A Title\n\nFirst sentence here. Second one.\n\n"
        "Short line one,\nshort line two,\nand three.\n"
    )
    src = parse_source_text(text, "text")
    assert _texts(src) == [
        ("heading", "A Title"),
        ("sentence", "First sentence here."),
        ("sentence", "Second one."),
        ("sentence", "Short line one,"),
        ("sentence", "short line two,"),
        ("sentence", "and three."),
    ]


def test_parse_source_file_by_extension_and_sniffing(tmp_path: Path):
    md = tmp_path / "a.md"
    md.write_text("# Head\n\nBody text.\n", encoding="utf-8")
    assert _texts(parse_source(md))[0] == ("heading", "Head")
    unknown = tmp_path / "article"
    unknown.write_text("<p>Hello there.</p><h2>Next</h2><p>More.</p>", encoding="utf-8")
    assert sniff_format(unknown.read_text()) == "html"
    assert parse_source(unknown).path == unknown
    assert _texts(parse_source(unknown))[1] == ("heading", "Next")


def test_bad_files_raise_source_error_with_path(tmp_path: Path):
    binary = tmp_path / "bad.txt"
    binary.write_bytes(b"\xff\xfe\x00\x81 not text")
    with pytest.raises(SourceError) as err:
        parse_source(binary)
    assert err.value.path == binary
    empty = tmp_path / "empty.md"
    empty.write_text("```\nonly code\n```\n", encoding="utf-8")
    with pytest.raises(SourceError, match="no readable words"):
        parse_source(empty)
    with pytest.raises(SourceError) as err:
        parse_source(tmp_path / "missing.md")
    assert err.value.path == tmp_path / "missing.md"


def test_markdown_front_matter_is_not_read():
    src = parse_source_text("---\ntitle: Hidden\ndate: 2024-01-01\n---\n# Shown\n\nBody.\n", "md")
    assert _texts(src) == [("heading", "Shown"), ("sentence", "Body.")]
