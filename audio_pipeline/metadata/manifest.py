"""Episode manifests: TOML in, validated ``Episode`` objects out (and TOML out again).

Layout::

    [podcast]                 # optional; same keys as PodcastConfig, overrides the config
    narrator = "Perrin Walker"

    [[episode]]               # one table per episode
    audio = "raw/science-of-evals.wav"      # required; relative to the manifest file
    title = "We Need a Science of Evals"
    authors = ["Apollo Research"]
    source_url = "https://www.apolloresearch.ai/blog/we-need-a-science-of-evals"
    source = "articles/science-of-evals.md" # the article text, for alignment
    summary = "..."

Other episode keys: slug, narrator, podcast, publisher, production_company, episode_number,
season, date, cover, language, explicit, note, title_provisional. Empty strings mean
'not given' and take the config's value (narrator, podcast, publisher, production
company, language, cover). Validation collects EVERY problem before raising.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from audio_pipeline.errors import ConfigError, ManifestError
from audio_pipeline.metadata.config import (
    LANGUAGE_RE,
    PodcastConfig,
    config_problems,
    did_you_mean,
    load_config,
    parse_config_table,
    read_toml,
    with_overrides,
)
from audio_pipeline.metadata.cover import image_problem
from audio_pipeline.metadata.manifest_write import EPISODE_KEYS
from audio_pipeline.metadata.problems import ManifestProblem, ManifestProblems
from audio_pipeline.metadata.slug import episode_slug, is_valid_slug
from audio_pipeline.types import Episode, EpisodeMeta

_STR_KEYS = ("title", "narrator", "summary", "note", "podcast", "publisher",
             "production_company", "language")
_DATE_RE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")


@dataclass(frozen=True)
class Manifest:
    config: PodcastConfig
    episodes: tuple[Episode, ...]
    path: Path
    problems: tuple[ManifestProblem, ...] = ()  # of episodes dropped in non-strict mode


def load_manifest(
    path: Path,
    config: PodcastConfig | None = None,
    *,
    check_files: bool = True,
    strict: bool = True,
    overrides: Mapping[str, Any] | None = None,
) -> Manifest:
    """Read and validate a manifest.

    ``config`` defaults to ``load_config()``; the manifest's ``[podcast]`` table overrides
    it and ``overrides`` (command-line flags, None values ignored) override both.
    ``strict`` raises ``ManifestProblems`` on any problem; otherwise episodes with problems
    are dropped and their problems returned in ``Manifest.problems``. ``check_files=False``
    checks no file and accepts episodes with no ``audio`` yet (for show notes). Problems outside the
    episodes (syntax, ``[podcast]`` table, no episodes) always raise.
    """
    path = Path(path)
    base = config if config is not None else load_config()
    data = read_toml(path, ManifestError)
    text = path.read_text(encoding="utf-8")
    base_dir = path.parent

    global_problems: list[str] = []
    for key in data:
        if key not in ("podcast", "episode"):
            global_problems.append(
                f"{key}: unknown top-level key{did_you_mean(key, ['podcast', 'episode'])}"
                " (expected [podcast] and [[episode]] tables)"
            )
    cfg = base
    table = data.get("podcast", {})
    if not isinstance(table, dict):
        global_problems.append("podcast: must be a table ([podcast])")
    elif table:
        values, table_problems = parse_config_table(table, base_dir)
        cfg = dataclasses.replace(base, **values)
        table_problems += [f"{k}: {m}" for k, m in config_problems(cfg) if k in values]
        global_problems += [f"[podcast] {p}" for p in table_problems]
    if overrides:
        try:
            cfg = with_overrides(cfg, **overrides)
        except ConfigError as exc:
            global_problems.append(f"overrides: {exc.message}")

    tables = data.get("episode", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        global_problems.append("episode: must be [[episode]] tables")
        tables = []
    elif not tables:
        global_problems.append("no [[episode]] tables")
    if global_problems:
        raise ManifestProblems((_global_problem(p) for p in global_problems), path)

    header_lines = [i + 1 for i, ln in enumerate(text.splitlines())
                    if re.match(r"^\s*\[\[\s*episode\s*\]\]", ln)]
    lines = text.splitlines()
    episodes: list[Episode] = []
    problems: list[ManifestProblem] = []
    seen_slugs: dict[str, int] = {}
    seen_audio: dict[Path, int] = {}
    for index, table in enumerate(tables, start=1):
        episode, found = _episode_from_table(table, cfg, base_dir, check_files)
        if episode is not None:
            if episode.slug in seen_slugs:
                found.append(("slug", f"{episode.slug!r} is also the slug of episode "
                              f"#{seen_slugs[episode.slug]}; set `slug` to tell them apart"))
            if episode.audio is not None and episode.audio in seen_audio:
                found.append(("audio", f"same file as episode #{seen_audio[episode.audio]}"))
        if found:
            slug = _slug_of(table, episode)
            start = header_lines[index - 1] if index <= len(header_lines) else None
            problems += [ManifestProblem(msg, key, index, slug, _key_line(lines, start, key))
                         for key, msg in found]
            continue
        assert episode is not None
        seen_slugs[episode.slug] = index
        if episode.audio is not None:
            seen_audio[episode.audio] = index
        episodes.append(episode)
    if problems and strict:
        raise ManifestProblems(problems, path)
    return Manifest(config=cfg, episodes=tuple(episodes), path=path, problems=tuple(problems))


def build_episode(
    audio: Path,
    config: PodcastConfig,
    *,
    title: str = "",
    authors: Iterable[str] = (),
    narrator: str = "",
    source_url: str = "",
    summary: str = "",
    source: Path | None = None,
    slug: str | None = None,
    check_files: bool = True,
    **more: Any,
) -> Episode:
    """One episode from command-line values, with the same defaults and checks as a manifest.

    ``more`` takes the other manifest keys (episode_number, date, cover...); None and empty
    values mean 'not given'. Raises ``ManifestProblems`` listing every problem.
    """
    table: dict[str, Any] = {"audio": str(audio), "title": title or "",
                             "authors": list(authors or ()), "narrator": narrator or "",
                             "source_url": source_url or "", "summary": summary or ""}
    if source is not None:
        table["source"] = str(source)
    if slug is not None:
        table["slug"] = slug
    table.update({k: v for k, v in more.items() if v is not None})
    if isinstance(table.get("cover"), Path):
        table["cover"] = str(table["cover"])
    episode, found = _episode_from_table(table, config, None, check_files)
    if found:
        raise ManifestProblems([ManifestProblem(msg, key) for key, msg in found], audio)
    assert episode is not None
    return episode


def _episode_from_table(
    table: Mapping[str, Any], cfg: PodcastConfig, base_dir: Path | None, check_files: bool
) -> tuple[Episode | None, list[tuple[str, str]]]:
    found: list[tuple[str, str]] = []
    meta: dict[str, Any] = {}

    def resolve(value: str) -> Path:
        p = Path(value).expanduser()
        return base_dir / p if base_dir is not None and not p.is_absolute() else p

    for key in table:
        if key not in EPISODE_KEYS:
            found.append((key, f"unknown key{did_you_mean(key, EPISODE_KEYS)}"))

    for key in _STR_KEYS:
        value = table.get(key, "")
        if isinstance(value, str):
            if problem := text_problem(key, value):
                found.append((key, problem))
            meta[key] = value.strip()
        else:
            found.append((key, f"must be a string, got {_kind(value)}"))

    audio: Path | None = None
    raw_audio = table.get("audio", "")
    if not isinstance(raw_audio, str):
        found.append(("audio", f"must be a path string, got {_kind(raw_audio)}"))
    elif not raw_audio.strip():
        if check_files:
            found.append(("audio", "missing: the recording to process"))
        else:
            # Show notes and tags need no recording: a freshly imported manifest has none yet.
            audio = None
    else:
        audio = resolve(raw_audio.strip())
        if check_files and not audio.is_file():
            found.append(("audio", f"file not found: {audio}"))

    authors = table.get("authors", [])
    if isinstance(authors, str):  # one author given as a plain string
        authors = [authors]
    if isinstance(authors, list) and all(isinstance(a, str) for a in authors):
        meta["authors"] = tuple(a.strip() for a in authors if a.strip())
    else:
        found.append(("authors", "must be a list of strings"))

    url = table.get("source_url", "")
    if not isinstance(url, str):
        found.append(("source_url", f"must be a string, got {_kind(url)}"))
    else:
        url = url.strip()
        problem = url_problem(url) if url else None
        if problem:
            found.append(("source_url", problem))
        meta["source_url"] = url

    source: Path | None = None
    raw_source = table.get("source")
    if raw_source is not None:
        if not isinstance(raw_source, str) or not raw_source.strip():
            found.append(("source", "must be a non-empty path string"))
        else:
            source = resolve(raw_source.strip())
            if check_files and not source.is_file():
                found.append(("source", f"file not found: {source}"))

    for key in ("episode_number", "season"):
        value = table.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            found.append((key, f"must be a whole number >= 0, got {value!r}"))
        else:
            meta[key] = value

    date = table.get("date")
    if date is not None:
        iso, problem = _check_date(date)
        if problem:
            found.append(("date", problem))
        else:
            meta["date"] = iso

    for key in ("explicit", "title_provisional"):
        value = table.get(key)
        if value is not None and not isinstance(value, bool):
            found.append((key, f"must be true or false, got {value!r}"))
        elif value is not None:
            meta[key] = value

    cover: Path | None = cfg.cover
    raw_cover = table.get("cover")
    if raw_cover is not None:
        if not isinstance(raw_cover, str) or not raw_cover.strip():
            found.append(("cover", "must be a non-empty path string"))
        else:
            cover = resolve(raw_cover.strip())
    if cover is not None and check_files:
        problem = image_problem(cover)
        if problem:
            found.append(("cover", problem))

    if isinstance(meta.get("language"), str) and meta["language"]:
        if meta["language"] != "auto" and not LANGUAGE_RE.match(meta["language"]):
            found.append(("language", f"{meta['language']!r} is not a code like 'en'"))

    slug = table.get("slug")
    if slug is not None and (not isinstance(slug, str) or not is_valid_slug(slug)):
        found.append(("slug", f"{slug!r} must be lowercase ASCII letters, digits and "
                      "single hyphens (e.g. 'science-of-evals')"))
        slug = None

    if found:
        return None, found
    for key in ("narrator", "podcast", "publisher", "production_company", "language"):
        if not meta.get(key):
            meta[key] = getattr(cfg, key)
    episode_meta = EpisodeMeta(cover=cover, **meta)
    return Episode(
        audio=audio,
        meta=episode_meta,
        slug=slug or episode_slug(episode_meta.title, audio),
        source=source,
    ), found


SUMMARY_CHARS = 4000  # what Apple Podcasts shows of a description; feeds cut the rest


def text_problem(key: str, value: str) -> str | None:
    """A control character (NUL ends an ID3 string early; others break XML) or a summary
    longer than a podcast app shows."""
    bad = next((c for c in value if ord(c) < 32 and c not in "\t\n\r"), None)
    if bad is not None:
        return f"contains the control character U+{ord(bad):04X}"
    if key == "summary" and len(value) > SUMMARY_CHARS:
        return f"{len(value)} characters, more than the {SUMMARY_CHARS} a podcast app shows"
    return None


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable link to the original text, or None."""
    if any(c.isspace() for c in url):
        return f"{url!r} contains whitespace"
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return f"{url!r} must start with http:// or https://"
    if not parts.netloc:
        return f"{url!r} has no host"
    return None


def _check_date(value: Any) -> tuple[str, str | None]:
    if isinstance(value, dt.datetime):
        return "", "must be a date (YYYY-MM-DD), not a date and time"
    if isinstance(value, dt.date):
        return value.isoformat(), None
    if not isinstance(value, str) or not _DATE_RE.match(value.strip()):
        return "", f"{value!r} must be YYYY, YYYY-MM or YYYY-MM-DD"
    text = value.strip()
    parts = [int(p) for p in text.split("-")] + [1, 1]
    try:
        dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        return "", f"{text!r} is not a real date"
    return text, None


def _global_problem(text: str) -> ManifestProblem:
    """A problem outside the episodes ("[podcast] key: message", "no [[episode]] tables")."""
    key, sep, message = text.partition(": ")
    return ManifestProblem(message, key) if sep else ManifestProblem(text)


def _slug_of(table: Mapping[str, Any], episode: Episode | None) -> str:
    """The slug the episode has or would have, for ``--only``."""
    if episode is not None:
        name = episode.slug
    elif isinstance(table.get("slug"), str) and is_valid_slug(table["slug"]):
        name = table["slug"]
    else:
        title = table.get("title")
        audio = table.get("audio")
        name = episode_slug(title if isinstance(title, str) else "",
                            audio.strip() or None if isinstance(audio, str) else None)
    return name


def _key_line(lines: list[str], start: int | None, key: str) -> int | None:
    """Line of ``key = ...`` inside the episode table beginning at line ``start``."""
    if start is None:
        return None
    pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
    for number in range(start, len(lines)):  # ``start`` is 1-based: lines[start] is next
        line = lines[number]
        if line.lstrip().startswith("["):
            break
        if pattern.match(line):
            return number + 1
    return start


def _kind(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:60]


__all__ = ["Manifest", "ManifestProblem", "ManifestProblems", "build_episode", "load_manifest"]
