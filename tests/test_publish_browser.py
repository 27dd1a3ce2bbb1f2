"""The transcript page and the reports in a real browser (Debian's headless Chromium via
Playwright), served from 127.0.0.1 by a server that answers Range requests: seeking,
highlighting while playing, keyboard use, no JavaScript, hostile titles, axe-core."""

from __future__ import annotations

import pytest
from browser import axe_violations, chromium, serve
from conftest import HOSTILE_TITLE, SAMPLE_TITLE

pytestmark = pytest.mark.slow

SLUGS = {"compute-trends": SAMPLE_TITLE, "hostile": HOSTILE_TITLE}
PLAYER_TIME = "document.getElementById('player').currentTime"


@pytest.fixture(scope="module")
def site(published):
    """(base URL, browser): the batch output folder served, one browser for the module."""
    with serve(published) as base, chromium() as browser:
        yield base, browser


@pytest.fixture
def page(site, tmp_path):
    base, browser = site
    context = browser.new_context(viewport={"width": 1000, "height": 1200})
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tab.dialogs = dialogs  # a script that ran (alert) would show up here
    yield tab
    context.close()


def _open(page, base: str, path: str):
    page.goto(f"{base}/{path}")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    return page


@pytest.mark.parametrize("slug", SLUGS)
def test_clicking_or_pressing_enter_on_a_sentence_seeks_the_audio(site, page, slug, tmp_path):
    base, _ = site
    _open(page, base, f"{slug}/{slug}.html")
    assert page.locator("h1").inner_text() == SLUGS[slug]  # a title is text, never markup
    sentences = page.locator("main p a.s[data-end]")
    assert sentences.count() >= 4
    target = sentences.nth(2)
    start = float(target.get_attribute("data-start"))
    assert start > 5.0
    target.click()
    page.wait_for_function(f"Math.abs({PLAYER_TIME} - {start}) < 0.6")
    assert target.get_attribute("aria-current") == "true"
    # from the keyboard: focus (Tab order is the reading order) and Enter
    other = sentences.nth(0)
    other.focus()
    page.keyboard.press("Enter")
    start = float(other.get_attribute("data-start"))
    page.wait_for_function(f"Math.abs({PLAYER_TIME} - {start}) < 0.6")
    page.screenshot(path=str(tmp_path / f"{slug}.transcript.png"), full_page=True)
    assert page.dialogs == []


def test_the_highlight_follows_the_audio_as_it_plays(site, page):
    base, _ = site
    _open(page, base, "compute-trends/compute-trends.html")
    sentences = page.locator("main p a.s[data-end]")
    starts = [float(sentences.nth(k).get_attribute("data-start")) for k in range(sentences.count())]
    # play from just before the start of the last sentence: the highlight must move to it
    page.evaluate(f"(() => {{ const p = document.getElementById('player'); "
                  f"p.currentTime = {starts[-1] - 1.5}; p.play(); }})()")
    page.wait_for_function("document.querySelector('a.s[aria-current=true]') !== null")
    before = page.locator("a.s[aria-current=true]").get_attribute("data-start")
    assert float(before) == starts[-2]
    page.wait_for_function(
        f"document.querySelector('a.s[aria-current=true]').dataset.start == '{starts[-1]:g}'"
        f" || parseFloat(document.querySelector('a.s[aria-current=true]').dataset.start)"
        f" == {starts[-1]}", timeout=15_000)
    assert page.evaluate(PLAYER_TIME) >= starts[-1]
    assert page.locator("a.s[aria-current=true]").count() == 1


def test_the_page_reads_without_javascript(site, tmp_path):
    base, browser = site
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto(f"{base}/hostile/hostile.html")
    assert tab.locator("h1").inner_text() == HOSTILE_TITLE
    assert "Moore's law" in tab.locator("main").inner_text()
    first = tab.locator("main p a.s").first
    assert first.get_attribute("href").startswith("hostile.mp3#t=")
    assert tab.locator("h2").all_inner_texts()[-1].startswith("Three eras")
    context.close()


@pytest.mark.parametrize("slug", SLUGS)
def test_report_shows_the_plot_and_its_issue_times_seek_the_audio(site, page, slug, tmp_path):
    base, _ = site
    _open(page, base, f"{slug}/{slug}.report.html")
    plot = page.locator("svg#loudness-plot")
    assert plot.is_visible() and plot.bounding_box()["width"] > 500
    for curve in ("path.before", "path.after"):
        assert page.locator(curve).get_attribute("d").count("L") >= 30  # 39 s, 1 s apart
    assert page.locator("line.target").count() == 1 and page.locator("line.ceiling").count() == 1
    issue_times = page.locator("#to-fix ~ table button.t, #notes ~ table button.t")
    assert issue_times.count() >= 1
    assert page.locator("rect.issue-mark").count() == issue_times.count()
    last = issue_times.nth(issue_times.count() - 1)
    at = float(last.get_attribute("data-t"))
    assert at > 5.0
    last.click()
    page.wait_for_function(f"Math.abs({PLAYER_TIME} - {at}) < 0.6")
    assert "Limiter" in page.locator("#loudness ~ p").inner_text()
    assert page.locator("#tags ~ table").inner_text().count("Perrin Walker") == 1
    page.screenshot(path=str(tmp_path / f"{slug}.report.png"), full_page=True)
    assert page.dialogs == []


@pytest.mark.parametrize("path", ["compute-trends/compute-trends.html", "hostile/hostile.html",
                                  "hostile/hostile.report.html", "report.html"])
def test_pages_pass_the_axe_accessibility_check(site, page, path):
    base, _ = site
    page.goto(f"{base}/{path}")
    page.wait_for_load_state("load")
    assert axe_violations(page) == []
