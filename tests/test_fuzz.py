"""Property tests (hypothesis) of the parsers and writers a producer's text goes through.

Whatever the text, these never crash with anything but their stage's typed error, and
their promises hold: the aligner's times are monotonic and inside the audio, captions
never overlap and keep their line limits, slugs never leave the folder and never
collide within a batch. Examples are few (the file runs in seconds) but cover the
hostile corners: empty, unrelated, control characters, markup, every script.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audio_pipeline.align.aligner import align
from audio_pipeline.align.source import parse_source_text, sniff_format
from audio_pipeline.errors import PipelineError
from audio_pipeline.metadata.manifest import load_manifest
from audio_pipeline.metadata.shownotes import parse_listing
from audio_pipeline.metadata.slug import episode_slug, is_valid_slug, slugify
from audio_pipeline.publish.cues import CUE_SECONDS, LINE_CHARS, MAX_LINES, split_cues, wrap
from audio_pipeline.types import Segment, Transcript, Word

FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

VOCAB = ("the model reads scaling laws data compute 2022 3.5% Dr. Smith and of a to in "
         "chinchilla parameters tokens training is was not").split()
words_text = st.lists(st.sampled_from(VOCAB), max_size=60).map(" ".join)
any_text = st.text(max_size=400)
# markup-ish text: the characters markdown and HTML give meaning to, and words
markup = st.lists(st.one_of(st.sampled_from(
    ["#", "## ", "*", "_", "`", "```", "[", "](", "http://x.org", ")", "<p>", "</p>", "<h1>",
     "</h1>", "<script>", "</script>", "<style>", "&amp;", "&#0;", "\n", "\n\n", "> ", "- ",
     "1. ", "|", "---", "<!--", "-->", "![", "<br/>", "\x00", "\u202e", "🚀"]), words_text),
    max_size=40).map("".join)


@FAST
@given(text=st.one_of(any_text, markup), fmt=st.sampled_from(["markdown", "html", "text"]))
def test_source_parser_never_crashes_and_offsets_point_into_the_text(text: str, fmt: str):
    try:
        source = parse_source_text(text, fmt)
    except PipelineError:
        return
    assert sniff_format(text) in ("markdown", "html", "text")
    for word in source.words:
        assert 0 <= word.start_char <= word.end_char <= len(source.text)
        assert 0 <= word.sentence < len(source.sentences)


def transcripts(duration: float):
    """Random word timings, some overlapping, some backwards, some past the end."""
    word = st.builds(
        lambda text, start, length, p: Word(text, start, start + length, p),
        st.sampled_from(VOCAB), st.floats(-1.0, duration + 5.0), st.floats(-0.5, 3.0),
        st.floats(0.0, 1.0))
    return st.lists(word, max_size=60).map(lambda ws: Transcript(
        (Segment(0, ws[0].start if ws else 0.0, ws[-1].end if ws else 0.0,
                 " ".join(w.text for w in ws), tuple(ws)),) if ws else (),
        "en", "fuzz", duration))


@FAST
@given(data=st.data(), source_text=st.one_of(words_text, markup, st.just("")),
       duration=st.floats(1.0, 120.0))
def test_aligner_times_are_monotonic_and_inside_the_audio(data, source_text: str,
                                                          duration: float):
    transcript = data.draw(transcripts(duration))
    try:
        source = parse_source_text(source_text or "Nothing here.", "markdown")
    except PipelineError:
        return
    result = align(transcript, source, audio_duration=duration)
    assert 0.0 <= result.coverage <= 1.0
    starts = [s.start for s in result.sentences if s.start is not None]
    assert starts == sorted(starts)
    for sentence in result.sentences:
        if sentence.start is not None:
            assert -1e-6 <= sentence.start <= (sentence.end or sentence.start) <= duration + 1e-6
    timed = [w for w in result.words if w.start is not None]
    assert [w.start for w in timed] == sorted(w.start for w in timed)
    for w in timed:
        assert -1e-6 <= w.start <= w.end <= duration + 1e-6
    for issue in result.issues:
        assert -1e-6 <= issue.start <= issue.end <= duration + 1e-6
    for chapter in result.chapters:
        assert -1e-6 <= chapter.start <= duration + 1e-6


segments = st.lists(st.tuples(st.floats(0.0, 600.0), st.floats(0.0, 20.0), st.one_of(
    words_text, st.text(max_size=200))), max_size=30).map(
    lambda items: [Segment(i, s, s + d, t, ()) for i, (s, d, t) in enumerate(items)])


@FAST
@given(segs=segments)
def test_caption_cues_never_overlap_and_keep_line_limits(segs):
    cues = split_cues(segs)
    for cue in cues:
        assert cue.text.strip()
        assert 0.0 <= cue.start < cue.end
        assert cue.end - cue.start <= CUE_SECONDS + 1e-6
        lines = wrap(cue.text)
        assert len(lines) <= MAX_LINES or any(len(w) > LINE_CHARS for w in cue.text.split())
        assert all(len(line) <= LINE_CHARS for line in lines
                   if " " in line)  # a single word longer than a line cannot be broken
    for a, b in zip(cues, cues[1:], strict=False):
        assert a.end <= b.start + 1e-6


@FAST
@given(text=st.one_of(any_text, st.lists(st.one_of(words_text, st.sampled_from(
    ["Learn more on the Example website.", "Narrated by TYPE III AUDIO.",
     "https://example.org/post/a-title", "Source:", "\n", "\r\n", "---"])), max_size=30)
    .map("\n".join)))
def test_show_notes_parser_never_crashes(text: str):
    try:
        result = parse_listing(text)
    except PipelineError:
        return
    for episode in result.episodes:
        assert isinstance(episode.meta.summary, str)


toml_value = st.one_of(st.text(max_size=40), st.integers(), st.booleans(), st.lists(
    st.text(max_size=10), max_size=3))


@FAST
@given(raw=st.one_of(st.text(max_size=300), st.dictionaries(st.sampled_from(
    ["audio", "title", "slug", "source", "source_url", "authors", "date", "summary",
     "episode_number", "cover", "language", "bogus"]), toml_value, max_size=8)))
def test_manifest_loading_is_a_typed_error_or_a_manifest(raw, tmp_path_factory):
    folder = tmp_path_factory.mktemp("manifest")
    path = folder / "manifest.toml"
    if isinstance(raw, str):
        path.write_text(raw, encoding="utf-8")
    else:
        lines = ["[[episode]]"]
        for key, value in raw.items():
            lines.append(f"{key} = {_toml(value)}")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        manifest = load_manifest(path, check_files=False, strict=False)
    except PipelineError:
        return
    slugs = [e.slug for e in manifest.episodes]
    assert all(is_valid_slug(s) for s in slugs)


def _toml(value) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)  # a JSON string is a TOML basic string


@FAST
@given(titles=st.lists(st.one_of(st.text(max_size=120), st.sampled_from(
    ["../../etc", "/", "..", "CON", "nul.txt", "Lpt1", " ", "\x00", "🚀", "مرحبا", "-rf"])),
    min_size=1, max_size=12))
def test_slugs_never_escape_the_folder_and_never_collide_in_a_batch(titles, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    body = "".join(f"[[episode]]\ntitle = {_toml(t)}\n" for t in titles)
    path = out / "manifest.toml"
    path.write_text(body, encoding="utf-8")
    for title in titles:
        slug = slugify(title)
        assert slug and is_valid_slug(slug)
        assert (out / slug).resolve().parent == out.resolve()
        assert episode_slug(title, Path(f"/in/{title[:10]}.wav") if "/" not in title
                            else None)
    try:
        manifest = load_manifest(path, check_files=False, strict=False)
    except PipelineError:
        return
    slugs = [e.slug for e in manifest.episodes]
    assert len(slugs) == len(set(slugs))
    for slug in slugs:
        assert is_valid_slug(slug) and (out / slug).resolve().parent == out.resolve()
