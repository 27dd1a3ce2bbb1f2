"""The publish stage's files on made-up segments, read back with real parsers: caption
rules (webvtt-py, srt), Podcasting 2.0 JSON, show-notes chapters, the feed (feedparser),
the transcript page's escaping and the loudness plot."""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

import feedparser
import srt
import webvtt

from audio_pipeline.metadata.config import PodcastConfig
from audio_pipeline.metadata.shownotes import render_shownotes
from audio_pipeline.publish.cues import CUE_SECONDS, LINE_CHARS, MIN_SECONDS, split_cues
from audio_pipeline.publish.feed import episode_item, render_feed
from audio_pipeline.publish.page import render_page
from audio_pipeline.publish.plot import LoudnessCurves, build_plot
from audio_pipeline.publish.podcast20 import (
    chapters_document,
    listing_chapters,
    transcript_document,
)
from audio_pipeline.publish.writers import render_chapters_vtt, render_srt, render_vtt
from audio_pipeline.types import ChapterMark, Episode, EpisodeMeta, NarrationIssue, Segment, Word

HOSTILE = '<script>alert(1)</script> & "quotes"'


def _segment(i: int, start: float, text: str, step: float = 0.35) -> Segment:
    words = tuple(Word(w, start + k * step, start + k * step + step * 0.8)
                  for k, w in enumerate(text.split()))
    return Segment(i, words[0].start, words[-1].end, text, words)


SEGMENTS = [
    _segment(0, 0.0, "Hi."),  # 0.28 s: shorter than a second, a gap follows
    _segment(1, 0.9, "Yes."),  # short and no gap: joins a neighbour
    _segment(2, 2.0, "Before 2010, training compute grew in line with Moore's law, doubling "
                     "roughly every 20 months, and since the advent of deep learning in the "
                     "early 2010s the scaling of training compute has accelerated."),
    _segment(3, 20.0, "Three eras"),
]


def _seconds(stamp: str) -> float:
    """A WebVTT timestamp (webvtt-py's start_in_seconds drops the milliseconds)."""
    *hm, sec = stamp.split(":")
    return sum(int(x) * 60 ** (len(hm) - k) for k, x in enumerate(hm)) + float(sec)


def check_cue_rules(spans: list[tuple[float, float, list[str]]]) -> None:
    """Every caption rule, on (start, end, lines) as a parser read them."""
    assert spans
    for start, end, lines in spans:
        assert lines and all(line.strip() for line in lines), (start, lines)
        assert len(lines) <= 2 and all(len(line) <= LINE_CHARS for line in lines), lines
        assert MIN_SECONDS - 1e-3 <= end - start <= CUE_SECONDS + 1e-3, (start, end, lines)
    for (_, end, _), (start, _, _) in zip(spans, spans[1:], strict=False):
        assert end <= start + 1e-3


def test_vtt_cues_keep_every_rule_and_name_the_narrator_as_voice():
    vtt = webvtt.from_buffer(io.StringIO(render_vtt(SEGMENTS, voice="Perrin Walker")))
    check_cue_rules([(_seconds(c.start), _seconds(c.end), c.text.splitlines()) for c in vtt])
    assert all(c.voice == "Perrin Walker" for c in vtt)
    assert all(c.raw_text.startswith("<v Perrin Walker>") for c in vtt)
    said = " ".join(" ".join(c.text.split()) for c in vtt)
    assert said == " ".join(" ".join(s.text.split()) for s in SEGMENTS)


def test_srt_cues_keep_every_rule_and_cut_long_sentences_at_clauses():
    subs = list(srt.parse(render_srt(SEGMENTS)))
    check_cue_rules([(s.start.total_seconds(), s.end.total_seconds(), s.content.splitlines())
                     for s in subs])
    long = [" ".join(s.content.split()) for s in subs if "compute" in s.content]
    assert len(long) >= 2
    # each cut falls after a clause mark or before a word that opens a clause
    for text, after in zip(long, long[1:], strict=False):
        assert text.endswith((",", ".")) or after.split()[0] in ("and", "since", "the", "in")


def test_a_short_cue_borrows_the_silence_or_joins_its_neighbour():
    cues = split_cues(SEGMENTS)
    assert cues[0].text == "Hi. Yes." or (cues[0].text == "Hi." and cues[0].end >= 1.0)
    assert cues[-1].text == "Three eras" and cues[-1].end - cues[-1].start >= MIN_SECONDS


def test_vtt_voice_and_text_cannot_break_out_of_the_cue_markup():
    vtt = render_vtt([_segment(0, 0.0, "a <b> & --> c")], voice="A > B & <C>")
    cue = webvtt.from_buffer(io.StringIO(vtt)).captions[0]
    # webvtt-py leaves character references as they are; a player decodes them
    assert html.unescape(cue.text) == "a <b> & -> c"
    assert cue.voice is not None and html.unescape(cue.voice) == "A > B & <C>"
    assert "<b>" not in vtt and "<C>" not in vtt


def test_chapters_start_at_zero_and_end_where_the_next_starts():
    chapters = listing_chapters(
        [ChapterMark("Later", 30.0, 31.0), ChapterMark("Three eras", 12.0, 14.0)], 60.0, "T")
    assert [(c.title, c.start, c.end) for c in chapters] == [
        ("Introduction", 0.0, 12.0), ("Three eras", 12.0, 30.0), ("Later", 30.0, 60.0)]
    assert listing_chapters([ChapterMark("Opening", 2.0, 3.0)], 9.0, "T")[0].start == 0.0
    assert [c.title for c in listing_chapters([], 9.0, "Episode")] == ["Episode"]
    track = webvtt.from_buffer(io.StringIO(render_chapters_vtt(chapters)))
    assert [(_seconds(c.start), c.text) for c in track] == [
        (0.0, "Introduction"), (12.0, "Three eras"), (30.0, "Later")]


def test_podcasting_json_transcript_and_chapters_field_by_field():
    doc = transcript_document(SEGMENTS, "Perrin Walker")
    assert doc["version"] == "1.0.0"
    words = [w for s in SEGMENTS for w in s.words]
    assert len(doc["segments"]) == len(words)
    for row, w in zip(doc["segments"], words, strict=True):
        assert set(row) == {"speaker", "startTime", "endTime", "body"}
        assert row["speaker"] == "Perrin Walker" and row["body"] == w.text
        assert row["startTime"] == round(w.start, 3) and row["endTime"] == round(w.end, 3)
    plain = transcript_document([Segment(0, 1.0, 2.0, "No words here.")], "")
    assert plain["segments"] == [{"startTime": 1.0, "endTime": 2.0, "body": "No words here."}]
    chapters = chapters_document(listing_chapters([ChapterMark("B", 10.0, 11.0)], 20.0, "T"),
                                 "https://example.org/a")
    assert chapters == {"version": "1.2.0", "chapters": [
        {"startTime": 0.0, "title": "Introduction", "endTime": 10.0,
         "url": "https://example.org/a"},
        {"startTime": 10.0, "title": "B", "endTime": 20.0}]}


def test_show_notes_list_the_chapters_as_apps_parse_them():
    meta = EpisodeMeta(title="T", summary="About it.", source_url="https://example.org/a")
    chapters = listing_chapters([ChapterMark("Three eras", 12.0, 13.0),
                                 ChapterMark(HOSTILE, 3725.0, 3726.0)], 4000.0, "T")
    text = render_shownotes(meta, PodcastConfig(), "text", chapters=chapters)
    lines = text.splitlines()
    first = lines.index("00:00 Introduction")
    assert lines[first:first + 3] == ["00:00 Introduction", "00:12 Three eras",
                                      f"1:02:05 {HOSTILE}"]
    notes = render_shownotes(meta, PodcastConfig(), "html", chapters=chapters)
    assert "00:00 Introduction<br>\n00:12 Three eras<br>" in notes
    assert "&lt;script&gt;" in notes and "<script>" not in notes


def _item(config: PodcastConfig, title: str = "Compute trends"):
    meta = EpisodeMeta(title=title, authors=("A. One", "B. Two"), narrator="Perrin Walker",
                       source_url="https://example.org/a", date="2024-03-05",
                       episode_number=7, season=2, language="en")
    return episode_item(Episode(Path("x.wav"), meta, "compute-trends"), config,
                        duration=3725.4, mp3_bytes=123456,
                        shownotes_html="<p>Chapters:<br>\n00:00 Introduction</p>",
                        shownotes_text="Chapters:\n00:00 Introduction\n")


def test_feed_item_has_every_field_a_podcast_app_reads():
    config = PodcastConfig(podcast="AI Safety Fundamentals", publisher="BlueDot Impact",
                           feed_base_url="https://cdn.example.org/pod/",
                           feed_description="Readings.", feed_category="Technology",
                           feed_image="https://cdn.example.org/art.jpg",
                           feed_email="pod@example.org")
    xml = render_feed(config, [_item(config), _item(config, HOSTILE)])
    feed = feedparser.parse(xml)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "AI Safety Fundamentals"
    assert feed.feed.itunes_explicit is None  # feedparser: "no" is neither explicit nor clean
    assert feed.feed.tags[0].term == "Technology"
    assert feed.feed.image.href == "https://cdn.example.org/art.jpg"
    assert feed.feed.author_detail.name == "BlueDot Impact"
    assert feed.feed.publisher_detail == {"name": "BlueDot Impact", "email": "pod@example.org"}
    first, second = feed.entries
    assert second.title == HOSTILE
    assert first.title == "Compute trends" and first.id == "compute-trends"
    assert first.link == "https://example.org/a"
    enclosure = first.enclosures[0]
    assert enclosure.href == "https://cdn.example.org/pod/compute-trends/compute-trends.mp3"
    assert enclosure.length == "123456" and enclosure.type == "audio/mpeg"
    assert first.itunes_duration == "01:02:05"
    assert first.itunes_episode == "7" and first.itunes_season == "2"
    assert first.itunes_explicit is None
    assert first.published_parsed[:3] == (2024, 3, 5)
    assert "00:00 Introduction" in first.summary
    # podcast:transcript and podcast:chapters are read from the XML itself: feedparser
    # keeps only the last of repeated unknown elements
    from xml.etree import ElementTree

    ns = {"podcast": "https://podcastindex.org/namespace/1.0"}
    item = ElementTree.fromstring(xml.encode()).find("channel/item")
    links = {t.get("type"): t.attrib for t in item.findall("podcast:transcript", ns)}
    base = "https://cdn.example.org/pod/compute-trends/compute-trends"
    assert links["text/vtt"] == {"url": f"{base}.vtt", "type": "text/vtt", "language": "en",
                                 "rel": "captions"}
    assert links["application/json"]["url"] == f"{base}.transcript.json"
    assert links["text/html"]["url"] == f"{base}.html"
    assert "rel" not in links["text/html"]
    chapters = item.find("podcast:chapters", ns)
    assert chapters.attrib == {"url": f"{base}.chapters.json", "type": "application/json+chapters"}


def test_transcript_page_shows_a_hostile_title_as_text():
    meta = EpisodeMeta(title=HOSTILE, authors=(HOSTILE,), narrator="N",
                       source_url="https://example.org/a", language="en-GB")
    page = render_page(meta, slug="s", segments=SEGMENTS,
                       chapters=listing_chapters([ChapterMark("Three eras", 20.0, 21.0)], 25, "T"),
                       mp3_name="s.mp3", language="en-GB", files={"captions": "s.vtt"})
    assert "<script>alert(1)" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quotes&#34;") >= 3
    assert '<html lang="en-GB">' in page and '<h1 dir="auto">' in page
    # the heading read aloud is the chapter's heading, not a sentence under it
    assert page.count(">Three eras</a>") == 1


def test_plot_draws_both_curves_the_target_ceiling_and_each_issue():
    curves = LoudnessCurves(before=(-30.0, None, -28.0, -29.0), after=(-16.5, None, -15.0, -16.0),
                            step=1.0, window=3.0, target=-16.0, ceiling=-1.0)
    issue = NarrationIssue("skipped", 2.0, 3.0, 1, "text", "", 0.9)
    plot = build_plot(curves, [issue], 6.0)
    assert plot.before.count("L") == 3 and plot.after.count("L") == 3
    assert plot.top < plot.ceiling_y < plot.target_y < plot.bottom
    assert [m.number for m in plot.markers] == [1] and plot.markers[0].start == 2.0
    assert plot.left < plot.markers[0].x < plot.right
    assert "target -16 LUFS" in plot.description
    assert json.dumps([t.label for t in plot.x_ticks]) == '["0:00", "0:05"]'


def test_feed_settings_are_checked_where_the_config_is_read(tmp_path):
    import pytest

    from audio_pipeline.errors import ConfigError
    from audio_pipeline.metadata.config import load_config

    good = tmp_path / "good.toml"
    good.write_text('feed_base_url = "https://cdn.example.org/p"\nexplicit = true\n')
    cfg = load_config(good)
    assert cfg.feed_base_url == "https://cdn.example.org/p" and cfg.explicit is True
    bad = tmp_path / "bad.toml"
    bad.write_text('feed_base_url = "cdn.example.org"\nexplicit = "yes"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    message = caught.value.one_line()
    assert "bad.toml" in message and "feed_base_url" in message
    assert "explicit: must be true or false" in message


def test_a_batch_run_with_only_some_episodes_keeps_the_others_in_feed_and_report(tmp_path):
    """`batch --only b` (b failed this time) must not drop a, published before, from
    feed.xml or report.html."""
    from audio_pipeline.batch.pages import write_batch_pages
    from audio_pipeline.metadata.manifest import Manifest
    from audio_pipeline.types import EpisodeSummary

    out = tmp_path / "out"
    (out / "a").mkdir(parents=True)
    (out / "a" / "a.mp3").write_bytes(b"\xff\xfb" * 500)
    (out / "a" / "a.shownotes.html").write_text("<p>Chapters:<br>\n00:00 A</p>\n")
    (out / "a" / "a.shownotes.txt").write_text("Chapters:\n00:00 A\n")
    done = EpisodeSummary(slug="a", audio="a.wav", status="ok", duration=61.0)
    (out / "a" / "a.result.json").write_text(json.dumps(done.to_json()))
    config = PodcastConfig(podcast="P", feed_base_url="https://cdn.example.org")
    episodes = tuple(Episode(Path(f"{s}.wav"), EpisodeMeta(title=t), s)
                     for s, t in (("a", HOSTILE), ("b", "Bee")))
    failed = EpisodeSummary(slug="b", audio="b.wav", status="failed", error="decode: broken")
    pages = write_batch_pages(Manifest(config, episodes, tmp_path / "m.toml"), out, [failed])
    feed = feedparser.parse(pages["feed"].read_bytes())
    assert [e.id for e in feed.entries] == ["a"] and feed.entries[0].title == HOSTILE
    assert feed.entries[0].enclosures[0].length == "1000"
    assert feed.entries[0].itunes_duration == "00:01:01"
    report = pages["report"].read_text(encoding="utf-8")
    assert report.count('<tr class="episode">') == 2
    assert 'href="a/a.report.html"' in report and 'href="b/' not in report
    assert "decode: broken" in report and "<script>alert" not in report
