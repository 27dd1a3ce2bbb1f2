"""Show notes: every entry of the seed listing imported, and rendered back to the same content."""

from __future__ import annotations

import html
import re
import tomllib
from pathlib import Path

import pytest

from audio_pipeline.errors import ShowNotesError
from audio_pipeline.metadata.config import PodcastConfig
from audio_pipeline.metadata.manifest import ManifestProblems, load_manifest
from audio_pipeline.metadata.manifest_write import dump_manifest
from audio_pipeline.metadata.shownotes import (
    import_listing,
    load_listing,
    parse_listing,
    render_shownotes,
    title_from_url,
)
from audio_pipeline.types import EpisodeMeta

# The feed's listing page, vendored (see fixtures/shownotes/README.md).
SEED = Path(__file__).resolve().parent / "fixtures" / "shownotes" / "listing.txt"
REPO_CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"
CFG = PodcastConfig(podcast="AI Safety Fundamentals", publisher="BlueDot Impact",
                    narrator="Perrin Walker", production_company="TYPE III AUDIO",
                    website="AI Safety Fundamentals", path=REPO_CONFIG_DIR / "podcast.toml")

PW, T3, AISF = "Perrin Walker", "TYPE III AUDIO", "AI Safety Fundamentals"
AF = "https://www.alignmentforum.org/posts/"
# Read from the seed by hand: (first line, source URL, authors, narrator, company, podcast
# from the credit, note, provisional title, summary line count, summary start).
EXPECTED = [
    (3, "https://www.apolloresearch.ai/blog/we-need-a-science-of-evals",
     ("Apollo Research blog",), "", "", "", "", "We Need a Science of Evals", 1,
     "This lays out a number of open questions"),
    (7, "https://aisafetyfundamentals.com/blog/introduction-to-mechanistic-interpretability/",
     ("Sarah Hastings-Woodhouse",), "", "", "", "",
     "Introduction to Mechanistic Interpretability", 1, "Our introduction introduces"),
    (13, "", (), "", "", "", "", "", 3, "This paper explains Anthropic’s constitutional AI"),
    (23, "", (), "", "", "", "", "", 2, "This more technical article explains"),
    (27, "https://docs.google.com/document/d/1WwsnJQstPq91_Yh-Ch2XRL8H_EpsnjrC1dwZXR37PC8/edit#",
     (), PW, T3, AISF, "", "", 5, "In this post, we’ll present ARC’s approach"),
    (38, "https://openai.com/research/deep-double-descent", (), PW, T3, AISF, "",
     "Deep Double Descent", 1, "We show that the double descent phenomenon"),
    (45, AF + "6Fpvch8RR29qLEWNH/chinchilla-s-wild-implications", (), PW, T3, AISF, "",
     "Chinchilla's Wild Implications", 1, "This post is about language model scaling laws"),
    (52, "https://www.lesswrong.com/s/HzcM2dkCq7fwXBej8", (), PW, T3, AISF,
     "Sections 3.1-3.4, 6.1-6.2, and 7.1-7.5", "", 3, "Suppose we someday build"),
    (62, AF + "EeAgytDZbDjRznPMA/gradient-hacking-definitions-and-examples", (), PW, T3, AISF,
     "", "Gradient Hacking Definitions and Examples", 2, "Gradient hacking is a hypothesized"),
    (70, "https://arxiv.org/abs/1901.03559", (), PW, T3, AISF, "", "", 1,
     "The field of reinforcement learning (RL)"),
    (77, "https://arxiv.org/abs/2212.03827", (), PW, T3, AISF, "", "", 2,
     "Abstract:\nExisting techniques for training language models"),
    (85, "", (), PW, T3, AISF, "", "", 2, "It would be very convenient if the individual"),
    (91, AF + "JKj5Krff5oKMb8TjT/imitative-generalisation-aka-learning-the-prior-1", (), PW, T3,
     AISF, "", "Imitative Generalisation aka Learning the Prior", 1,
     "This post tries to explain a simplified version"),
    (98, "https://www.cs.purdue.edu/homes/taog/docs/CCS19.pdf", (), PW, T3, AISF, "", "", 1,
     "This paper presents a technique to scan neural network"),
    (105, "https://arxiv.org/abs/2205.10625", (), PW, T3, AISF, "", "", 1,
     "Chain-of-thought prompting has demonstrated"),
    (112, "https://arxiv.org/abs/2210.10860", (), PW, T3, AISF, "", "", 1,
     "Using hard multiple-choice reading comprehension"),
    (119, AF + "TPan9sQFuPP6jgEJo/low-stakes-alignment", (), "", T3, AISF, "",
     "Low Stakes Alignment", 1, "Right now I’m working on finding a good objective"),
    (126, "https://bounded-regret.ghost.io/empirical-findings-generalize-surprisingly-far/", (),
     PW, T3, AISF, "", "Empirical Findings Generalize Surprisingly Far", 4,
     "Previously, I argued that emergent phenomena"),
    (136, "https://epochai.org/blog/compute-trends",
     ("Jaime Sevilla", "Lennart Heim", "Anson Ho", "Tamay Besiroglu", "Marius Hobbhahn",
      "Pablo Villalobos"), "", "", "", "", "Compute Trends", 1,
     "This article explains key drivers of AI progress"),
]


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def listing(seed_text: str):
    return parse_listing(seed_text)


def test_seed_has_19_distinct_episodes_16_with_a_url(listing) -> None:
    assert len(listing.episodes) == 19
    assert sum(1 for e in listing.episodes if e.meta.source_url) == 16
    assert [(d.line, d.first_line) for d in listing.duplicates] == [(18, 13)]
    assert listing.warnings == ()


def test_page_chrome_is_ignored_and_listed(listing) -> None:
    assert [text for _, text in listing.ignored] == ["Эпизоды", "Пропущенные эпизоды?",
                                                      "Показать больше"]


@pytest.mark.parametrize("index", range(len(EXPECTED)))
def test_each_seed_entry_is_imported_right(listing, index: int) -> None:
    (line, url, authors, narrator, company, podcast, note, title, n_lines,
     start) = EXPECTED[index]
    episode = listing.episodes[index]
    meta = episode.meta
    assert episode.line == line
    assert meta.source_url == url
    assert meta.authors == authors
    assert meta.narrator == narrator
    assert meta.production_company == company
    assert meta.podcast == podcast
    assert meta.publisher == "BlueDot Impact"
    assert episode.website == "AI Safety Fundamentals"
    assert meta.note == note
    assert meta.title == title and meta.title_provisional
    assert episode.audio == ""
    assert meta.summary.startswith(start)
    assert len(meta.summary.split("\n")) == n_lines
    for boilerplate in ("A podcast by", "Learn more on", "Narrated for", "Original text",
                        "Source:", "Author(s)", "---", "Эпизоды", "Показать", "(Sections"):
        assert boilerplate not in meta.summary


def test_reading_advice_stays_in_the_summary(listing) -> None:
    meta = listing.episodes[2].meta
    assert meta.note == ""
    assert meta.summary.endswith("If you are in a rush, focus on sections 1.2, 3.1, 3.4, 4.1, "
                                 "6.1, 6.2.")


def test_extra_names_in_a_credit_are_kept_aside(listing) -> None:
    episode = listing.episodes[13]
    assert episode.credit_extra == ("the Effective Altruism Forum Joseph Carlsmith LessWrong "
                                    "80,000 Hours")
    assert episode.meta.narrator == PW


def normalized_original(seed_lines: list[str], episode) -> list[str]:
    """The seed entry with the normalizations documented in shownotes.py applied."""
    raw = [ln.strip() for ln in seed_lines[episode.line - 1:episode.end_line] if ln.strip()]
    out: list[str] = []
    i = 0
    while i < len(raw):
        line = raw[i]
        i += 1
        line = re.sub(r"(website\.) -.*$", r"\1", line)
        glued = re.match(r"^(.+?)(A podcast by .+\.)$", line)
        if glued:
            out += [glued.group(1).rstrip(".") if glued.group(1).startswith("Author(s)")
                    else glued.group(1), glued.group(2)]
            continue
        if line in ("Source:", "Original text:"):
            line = f"Original text: {raw[i]}"
            i += 1
        if episode.credit_extra:
            line = line.replace(f" {episode.credit_extra} by ", " by ")
        out.append(line)
    return out


@pytest.mark.parametrize("index", range(len(EXPECTED)))
def test_rendering_back_gives_the_same_content(seed_text: str, listing, index: int) -> None:
    episode = listing.episodes[index]
    text = render_shownotes(episode.meta, CFG, fmt="text")
    assert text.splitlines() == normalized_original(seed_text.splitlines(), episode)
    again = parse_listing(text, CFG)  # the config tells a company from a narrator
    assert len(again.episodes) == 1 and again.warnings == ()
    assert again.episodes[0].meta == episode.meta


@pytest.mark.parametrize("index", range(len(EXPECTED)))
def test_html_has_the_same_content_as_text(listing, index: int) -> None:
    meta = listing.episodes[index].meta
    page = render_shownotes(meta, CFG, fmt="html")
    if meta.source_url:
        assert f'<a href="{html.escape(meta.source_url)}">' in page
    plain = html.unescape(re.sub(r"<[^>]+>", "", page.replace("<hr>", "---")))
    assert plain.splitlines() == render_shownotes(meta, CFG, fmt="text").splitlines()


def test_config_tells_a_company_from_a_narrator() -> None:
    text = ("Summary.\nNarrated for AI Safety Fundamentals by TYPE III AUDIO.\n---\n"
            "A podcast by BlueDot Impact.\nLearn more on the AI Safety Fundamentals website.\n")
    alone = parse_listing(text).episodes[0].meta
    assert (alone.narrator, alone.production_company) == ("TYPE III AUDIO", "")
    hinted = parse_listing(text, CFG).episodes[0].meta
    assert (hinted.narrator, hinted.production_company) == ("", "TYPE III AUDIO")


def test_html_escapes_text_and_links_only_http() -> None:
    meta = EpisodeMeta(summary="<script>alert('x')</script> & co", authors=("A <b>",),
                       source_url="javascript:alert(1)")
    page = render_shownotes(meta, CFG, fmt="html")
    assert "<script>" not in page and "&lt;script&gt;" in page and "&amp; co" in page
    assert "A &lt;b&gt;" in page
    assert "href" not in page


def test_render_uses_config_for_podcast_level_fields() -> None:
    meta = EpisodeMeta(summary="S.", narrator="N", production_company="C")
    text = render_shownotes(meta, CFG)
    assert "Narrated for AI Safety Fundamentals by N of C.\n---\n" in text
    assert text.endswith("A podcast by BlueDot Impact.\nLearn more on the AI Safety "
                         "Fundamentals website.\n")


def test_templates_next_to_the_config_win(tmp_path: Path) -> None:
    (tmp_path / "shownotes.txt.j2").write_text("Custom: {{ summary }}\n", encoding="utf-8")
    cfg = PodcastConfig(path=tmp_path / "podcast.toml")
    assert render_shownotes(EpisodeMeta(summary="Hi"), cfg) == "Custom: Hi\n"


def test_broken_template_is_a_shownotes_error(tmp_path: Path) -> None:
    (tmp_path / "shownotes.txt.j2").write_text("{{ no_such_field }}\n", encoding="utf-8")
    with pytest.raises(ShowNotesError, match="template error"):
        render_shownotes(EpisodeMeta(), PodcastConfig(path=tmp_path / "podcast.toml"))
    with pytest.raises(ShowNotesError, match="format"):
        render_shownotes(EpisodeMeta(), CFG, fmt="pdf")  # type: ignore[arg-type]


def test_import_listing_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ShowNotesError, match="cannot read") as err:
        import_listing(tmp_path / "missing.txt")
    assert err.value.path == tmp_path / "missing.txt"
    empty = tmp_path / "empty.txt"
    empty.write_text("Эпизоды\n-\n", encoding="utf-8")
    with pytest.raises(ShowNotesError, match="no episodes"):
        load_listing(empty)


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("https://example.com/blog/we-need-a-science-of-evals", "We Need a Science of Evals"),
        ("https://example.com/posts/x/what-s-new-1", "What's New"),
        ("https://example.com/a/the-end.html", "The End"),
        ("https://arxiv.org/abs/2212.03827", ""),
        ("https://example.com/s/HzcM2dkCq7fwXBej8", ""),
        ("https://example.com/", ""),
        ("https://example.com/docs/CCS19.pdf", ""),
    ],
)
def test_title_from_url(url: str, title: str) -> None:
    assert title_from_url(url) == title


def test_imported_seed_becomes_a_manifest_to_fill_in(tmp_path: Path) -> None:
    episodes = import_listing(SEED)
    path = tmp_path / "episodes.toml"
    dump_manifest(episodes, path)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert len(data["episode"]) == 19
    assert data["episode"][18]["authors"][5] == "Pablo Villalobos"
    assert data["episode"][7]["note"] == "Sections 3.1-3.4, 6.1-6.2, and 7.1-7.5"
    with pytest.raises(ManifestProblems) as err:
        load_manifest(path, CFG, check_files=True)
    assert len(err.value.problems) == 19
    assert all(": audio (line " in str(p) and "missing" in str(p) for p in err.value.problems)
    # Show notes need no recording: without file checks every episode loads, slugs unique.
    unchecked = load_manifest(path, CFG, check_files=False).episodes
    assert len({e.slug for e in unchecked}) == 19
    # With recordings named, it loads and keeps every imported field.
    text = path.read_text(encoding="utf-8")
    for n in range(19):
        text = text.replace('audio = ""', f'audio = "rec{n:02d}.wav"', 1)
    path.write_text(text, encoding="utf-8")
    loaded = load_manifest(path, CFG, check_files=False).episodes
    for imported, episode in zip(episodes, loaded, strict=True):
        assert episode.meta.summary == imported.meta.summary
        assert episode.meta.source_url == imported.meta.source_url
        assert episode.meta.authors == imported.meta.authors
        assert episode.meta.title_provisional
