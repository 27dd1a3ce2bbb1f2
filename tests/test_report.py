from audio_pipeline.publish.report import render_report
from audio_pipeline.types import (
    Alignment,
    ChapterMark,
    EpisodeMeta,
    EpisodeSummary,
    NarrationIssue,
    SummaryLocation,
    TimedSentence,
)


def _alignment(*issues: NarrationIssue) -> Alignment:
    sentences = (
        TimedSentence(0, "heading", "Intro <b>", 1.0, 2.0, "read"),
        TimedSentence(1, "sentence", "Skipped one.", 2.0, 2.0, "skipped"),
    )
    return Alignment(0.5, "partial", sentences, (), issues, SummaryLocation(False),
                     (ChapterMark("Intro <b>", 1.0, 5.0),))


def _render(alignment: Alignment) -> str:
    summary = EpisodeSummary(slug="ep", audio=None, status="ok", match=alignment.match,
                             duration=65.0, warnings=("heavy limiting",),
                             stage_seconds={"decode": 0.1})
    return render_report(EpisodeMeta(title="T & <i>", authors=("A", "B")), summary,
                         alignment=alignment, segments=[], verdict="narration: partial",
                         files=["/x/ep.mp3", "/x/ep.srt"], mp3_name="ep.mp3")


def test_report_separates_confident_issues_from_notes_and_escapes_text():
    html = _render(_alignment(
        NarrationIssue("skipped", 62.0, 62.0, 1, "Skipped one.", "", 0.9),
        NarrationIssue("substituted", 3.0, 3.2, 0, "eras", "year", 0.2),
        NarrationIssue("intro", 0.0, 1.0, None, "", "hello", 1.0),
    ))
    # one rule for every report (align.verdict): the intro is a note, as in narration.md
    assert "To fix (1)" in html and "Notes (2)" in html
    assert 'data-t="62.0" aria-label="Play from 01:02">01:02</button>' in html
    title = html.split("<h1 dir=\"auto\">")[1].split("</h1>")[0]
    assert title == "T &amp; &lt;i&gt;"
    assert 'class="skipped"' in html
    assert '<a href="ep.srt">' in html
    assert ">intro<" in html and "hello" in html  # listed as a note to check, never to fix


def test_report_without_issues_has_no_issue_tables():
    html = _render(_alignment())
    assert "To fix" not in html and "Notes (" not in html


def test_seek_times_are_rounded_for_the_player():
    html = _render(_alignment(NarrationIssue("skipped", 11.780000000000001, 12.0, 1, "x", "", 0.9)))
    assert 'data-t="11.78"' in html
