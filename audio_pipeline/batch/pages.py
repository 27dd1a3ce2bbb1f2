"""A batch's own pages beside `batch-report.json`: `report.html` (one row per episode,
linking to each episode's report) and `feed.xml` (an item per published episode)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

from audio_pipeline import fsutil
from audio_pipeline.metadata.manifest import Manifest
from audio_pipeline.publish.batch_page import BatchRow, render_batch_report
from audio_pipeline.publish.feed import FeedItem, episode_item, render_feed
from audio_pipeline.types import EpisodeSummary

REPORT_HTML = "report.html"
FEED_XML = "feed.xml"


def _published(out_dir: Path, row: EpisodeSummary) -> bool:
    """Done now or before (up to date), and its folder is there to link to."""
    done = row.status == "ok" or (row.status == "skipped" and row.reason == "up to date")
    return done and not row.invalid and (out_dir / row.slug / f"{row.slug}.mp3").is_file()


def _recorded(out_dir: Path, slug: str) -> EpisodeSummary | None:
    try:
        doc = json.loads((out_dir / slug / f"{slug}.result.json").read_text("utf-8"))
        return EpisodeSummary.from_json(doc)
    except (OSError, ValueError, TypeError):
        return None


def write_batch_pages(manifest: Manifest, out_dir: Path,
                      rows: list[EpisodeSummary]) -> dict[str, Path]:
    """Both pages from this run's ``rows``, plus the manifest's other episodes published
    by an earlier run (a run with ``--only`` must not drop them from the feed)."""
    config = manifest.config
    episodes = {e.slug: e for e in manifest.episodes}
    seen = {r.slug for r in rows}
    rows = list(rows) + [r for e in manifest.episodes if e.slug not in seen
                         for r in [_recorded(out_dir, e.slug)] if r is not None]
    items: list[FeedItem] = []
    table: list[BatchRow] = []
    for row in rows:
        episode = episodes.get(row.slug)
        published = _published(out_dir, row) and episode is not None
        link = f"{row.slug}/{row.slug}.report.html" if published else ""
        table.append(BatchRow(summary=row, title=episode.meta.title if episode else "",
                              report=link))
        if not published or episode is None:
            continue
        folder = out_dir / row.slug
        try:
            notes = {fmt: (folder / f"{row.slug}.shownotes.{fmt}").read_text(encoding="utf-8")
                     for fmt in ("html", "txt")}
            size = (folder / f"{row.slug}.mp3").stat().st_size
        except (OSError, UnicodeDecodeError):
            continue  # a folder changed by hand: the feed leaves it out, the table links it
        if row.language:  # as decided for this episode, not "auto"
            episode = replace(episode, meta=replace(episode.meta, language=row.language))
        items.append(episode_item(episode, config, duration=row.duration, mp3_bytes=size,
                                  shownotes_html=notes["html"], shownotes_text=notes["txt"]))
    title = config.podcast or "Batch"
    languages = Counter(r.language for r in rows if r.language)
    language = (config.language if config.language != "auto"
                else languages.most_common(1)[0][0] if languages else "en")
    return {
        "report": fsutil.write_text(out_dir / REPORT_HTML,
                                    render_batch_report(table, title=title,
                                                        language=language)),
        "feed": fsutil.write_text(out_dir / FEED_XML, render_feed(config, items)),
    }
