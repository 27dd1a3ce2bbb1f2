"""The published files of a real batch (the bundled sample and a hostile title, through
the real model), read back with real parsers: captions (webvtt-py, srt), the Podcasting
2.0 JSON, show-notes chapters, the feeds (feedparser) and the batch report."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import pytest
import srt
import webvtt
from conftest import FEED_BASE_URL, HOSTILE_TITLE, SAMPLE_TITLE

from audio_pipeline.publish.cues import (
    _CLAUSE_STARTS,
    _PHRASE_STARTS,
    CLAUSE_ENDS,
    CUE_SECONDS,
    LINE_CHARS,
    MIN_SECONDS,
)

pytestmark = pytest.mark.slow

SLUGS = {"compute-trends": SAMPLE_TITLE, "hostile": HOSTILE_TITLE}
PODCAST_NS = {"podcast": "https://podcastindex.org/namespace/1.0"}
SOURCE_URL = "https://epochai.org/blog/compute-trends"


def _seconds(stamp: str) -> float:
    """A WebVTT timestamp (webvtt-py's start_in_seconds drops the milliseconds)."""
    *hm, sec = stamp.split(":")
    return sum(int(x) * 60 ** (len(hm) - k) for k, x in enumerate(hm)) + float(sec)


def _file(out: Path, slug: str, suffix: str) -> Path:
    return out / slug / f"{slug}{suffix}"


def _check_cues(spans: list[tuple[float, float, list[str]]]) -> None:
    assert len(spans) >= 5
    for start, end, lines in spans:
        assert lines and all(line.strip() for line in lines), (start, lines)
        assert len(lines) <= 2 and all(len(line) <= LINE_CHARS for line in lines), lines
        assert MIN_SECONDS - 1e-3 <= end - start <= CUE_SECONDS + 1e-3, (start, end, lines)
    for (_, end, _), (start, _, _) in zip(spans, spans[1:], strict=False):
        assert end <= start + 1e-3, "cues overlap"
    # cut at a sentence or clause boundary: after a clause mark, or before a word that
    # opens a clause or phrase
    texts = [" ".join(" ".join(lines).split()) for _, _, lines in spans]
    for text, following in zip(texts, texts[1:], strict=False):
        head = following.split()[0].lower()
        assert (text.rstrip("\"')”’").endswith(CLAUSE_ENDS) or head in _CLAUSE_STARTS
                or head in _PHRASE_STARTS or following[0].isupper()), (text, following)


@pytest.mark.parametrize("slug", SLUGS)
def test_captions_keep_every_rule_in_a_real_parser(published, slug):
    vtt = webvtt.read(str(_file(published, slug, ".vtt")))
    _check_cues([(_seconds(c.start), _seconds(c.end), c.text.splitlines()) for c in vtt])
    assert {c.voice for c in vtt} == {"Perrin Walker"}
    subs = list(srt.parse(_file(published, slug, ".srt").read_text(encoding="utf-8")))
    _check_cues([(s.start.total_seconds(), s.end.total_seconds(), s.content.splitlines())
                 for s in subs])
    assert [" ".join(s.content.split()) for s in subs] == [" ".join(c.text.split()) for c in vtt]
    assert any("Moore's law" in s.content for s in subs)


@pytest.mark.parametrize("slug", SLUGS)
def test_chapters_json_and_track_agree_with_the_alignment(published, slug):
    doc = json.loads(_file(published, slug, ".chapters.json").read_text(encoding="utf-8"))
    assert doc["version"] == "1.2.0"
    chapters = doc["chapters"]
    assert chapters[0]["startTime"] == 0.0 and chapters[0]["url"] == SOURCE_URL
    assert all(set(c) <= {"startTime", "title", "endTime", "url"} for c in chapters)
    assert all("url" not in c for c in chapters[1:])
    starts = [c["startTime"] for c in chapters]
    assert starts == sorted(starts)
    assert [c["endTime"] for c in chapters[:-1]] == starts[1:]
    aligned = json.loads(_file(published, slug, ".alignment.json").read_text(encoding="utf-8"))
    titles = [c["title"] for c in chapters]
    assert "Three eras" in titles
    assert all(c["title"] in titles for c in aligned["chapters"])
    track = webvtt.read(str(_file(published, slug, ".chapters.vtt")))
    assert [(_seconds(c.start), c.text) for c in track] == [
        (round(c["startTime"], 3), c["title"]) for c in chapters]
    # the show notes list them as apps parse them: "MM:SS Title", one per line, from 00:00
    notes = _file(published, slug, ".shownotes.txt").read_text(encoding="utf-8").splitlines()
    listed = [line for line in notes if re.match(r"^\d{2}:\d{2} ", line)]
    assert listed[0].startswith("00:00 ")
    assert listed == [f"{int(c['startTime']) // 60:02d}:{int(c['startTime']) % 60:02d} "
                      f"{c['title']}" for c in chapters]
    html_notes = _file(published, slug, ".shownotes.html").read_text(encoding="utf-8")
    assert "00:00 Introduction<br>" in html_notes


@pytest.mark.parametrize("slug", SLUGS)
def test_json_transcript_has_every_word_with_its_times(published, slug):
    doc = json.loads(_file(published, slug, ".transcript.json").read_text(encoding="utf-8"))
    assert doc["version"] == "1.0.0"
    rows = doc["segments"]
    assert all(set(r) == {"speaker", "startTime", "endTime", "body"} for r in rows)
    assert {r["speaker"] for r in rows} == {"Perrin Walker"}
    assert all(0 <= r["startTime"] <= r["endTime"] <= 40.0 and r["body"].strip() for r in rows)
    assert [r["startTime"] for r in rows] == sorted(r["startTime"] for r in rows)
    ours = json.loads(_file(published, slug, ".json").read_text(encoding="utf-8"))
    words = [w for s in ours["segments"] for w in s["words"]]
    assert [r["body"] for r in rows] == [w["text"] for w in words]
    assert [r["startTime"] for r in rows] == [w["start"] for w in words]


def _check_item(entry, item_xml, out: Path, slug: str) -> None:
    base = f"{FEED_BASE_URL}/{slug}/{slug}"
    mp3 = _file(out, slug, ".mp3")
    assert entry.title == SLUGS[slug] and entry.id == slug
    assert entry.link == SOURCE_URL
    enclosure = entry.enclosures[0]
    assert enclosure.href == f"{base}.mp3" and enclosure.type == "audio/mpeg"
    assert int(enclosure.length) == mp3.stat().st_size
    result = json.loads(_file(out, slug, ".result.json").read_text(encoding="utf-8"))
    h, m, s = (int(x) for x in entry.itunes_duration.split(":"))
    assert abs(h * 3600 + m * 60 + s - result["duration"]) <= 0.5
    assert entry.itunes_episodetype == "full"
    assert entry.author == "Jaime Sevilla, Lennart Heim"
    assert "00:00 Introduction" in entry.summary and "Three eras" in entry.summary
    links = [t.attrib for t in item_xml.findall("podcast:transcript", PODCAST_NS)]
    assert {(a["type"], a["url"], a.get("rel")) for a in links} == {
        ("text/vtt", f"{base}.vtt", "captions"),
        ("application/x-subrip", f"{base}.srt", "captions"),
        ("application/json", f"{base}.transcript.json", None),
        ("text/html", f"{base}.html", None)}
    assert {a["language"] for a in links} == {"en"}
    chapters = item_xml.find("podcast:chapters", PODCAST_NS).attrib
    assert chapters == {"url": f"{base}.chapters.json", "type": "application/json+chapters"}


def test_each_episode_feed_and_the_batch_feed_parse_with_every_field(published):
    for slug in SLUGS:
        xml = _file(published, slug, ".xml").read_bytes()
        feed = feedparser.parse(xml)
        assert not feed.bozo, feed.bozo_exception
        assert feed.feed.title == "AI Safety Fundamentals"
        assert len(feed.entries) == 1
        _check_item(feed.entries[0], ElementTree.fromstring(xml).find("channel/item"),
                    published, slug)
    xml = (published / "feed.xml").read_bytes()
    feed = feedparser.parse(xml)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.author == "BlueDot Impact" and feed.feed.tags[0].term == "Technology"
    items = ElementTree.fromstring(xml).findall("channel/item")
    assert [e.id for e in feed.entries] == list(SLUGS)
    for entry, item in zip(feed.entries, items, strict=True):
        _check_item(entry, item, published, entry.id)


def test_batch_report_has_a_row_linking_each_episode_and_escapes_titles(published):
    page = (published / "report.html").read_text(encoding="utf-8")
    for slug in SLUGS:
        assert f'href="{slug}/{slug}.report.html"' in page
        assert _file(published, slug, ".report.html").is_file()
    assert page.count('<tr class="episode">') == 2
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("suffix", [".html", ".report.html", ".shownotes.html"])
def test_hostile_title_is_text_in_every_page(published, suffix):
    page = _file(published, "hostile", suffix).read_text(encoding="utf-8")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quotes&#34;" in page or (
        suffix == ".shownotes.html")  # the show notes carry no title, only the chapters
