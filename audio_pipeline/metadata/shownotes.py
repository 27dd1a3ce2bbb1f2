"""Show notes: import a feed listing (like the seed page copy) and render notes back.

Listing format, per entry (every part optional but the footer)::

    (Sections 3.1-3.4, 6.1-6.2)          <- note: the sections the narration covers
    Summary paragraph(s)...
    Original text: https://...            <- or "Source:", URL on the same or the next line
    Author(s): A, B, C                    <- may be glued to the footer: "CA podcast by ..."
    Narrated for <podcast> [other names] by <narrator> of <company>.
    ---
    A podcast by <publisher>.
    Learn more on the <website> website. -

Page chrome (a heading followed by a "-" line such as "Эпизоды", and text after the last
footer's " -" such as "Показать больше") is ignored and listed in ``ListingResult.ignored``.
An entry listed twice is kept once and reported in ``ListingResult.duplicates``. Listings
carry no titles: a provisional title comes from the source URL's slug when it has a
readable one, and every imported episode is marked ``title_provisional``.

Decisions taken from the seed:
- ``note`` is only the parenthesized "(Sections ...)" line, which limits what the
  narration covers (alignment should expect those sections only). "If you are in a rush,
  focus on sections ..." is advice to the reader and stays in the summary, verbatim.
- An entry without a credit line has no narrator (the listing does not say); config
  defaults apply later, when a manifest is loaded.

Rendering writes one canonical layout, so importing and rendering back gives the same
content with these normalizations: "Source:" becomes "Original text:" with the URL on the
same line; authors are joined with ", " and the footer starts on its own line; the
credit keeps only the podcast, narrator and company (names between the podcast and "by",
as in "Narrated for AI Safety Fundamentals the Effective Altruism Forum ... by ...", are
dropped and kept in ``ImportedEpisode.credit_extra``); "---" follows the credit only.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

import jinja2

from audio_pipeline.errors import ShowNotesError
from audio_pipeline.formatting import clock
from audio_pipeline.metadata.config import PodcastConfig
from audio_pipeline.metadata.slug import slugify
from audio_pipeline.types import ChapterMark, EpisodeMeta

# --------------------------------------------------------------------------- import

_FOOTER_SITE = re.compile(r"^Learn more on the (?P<site>.+?) website\.\s*(?:-\s*(?P<rest>.*))?$")
_PODCAST_BY = re.compile(r"^(?P<head>.*?)A podcast by (?P<publisher>.+?)\.\s*$")
_ORIGINAL = re.compile(r"^(?:Original text|Source)\s*:\s*(?P<url>\S*)\s*$", re.IGNORECASE)
_AUTHORS = re.compile(r"^Author\(s\)\s*:\s*(?P<names>.*)$")
_NARRATED = re.compile(r"^Narrated for (?P<for>.+?) by (?P<by>.+?)\.?\s*$")
_NOTE = re.compile(r"^\((?P<note>Sections?\b.+)\)$")
_URL = re.compile(r"^https?://\S+$")

# Known page chrome of the podcast site, for when it is not followed by a "-" line.
_CHROME = frozenset(
    ["Эпизоды", "Показать больше", "Пропущенные эпизоды?", "Episodes", "Show more",
     "Missed episodes?"]
)


@dataclass(frozen=True)
class ImportedEpisode:
    meta: EpisodeMeta
    audio: str = ""  # listings have no recordings: filled in by the user
    line: int = 0  # first line of the entry in the listing (1-based)
    end_line: int = 0  # its footer line
    website: str = ""  # from the footer "Learn more on the ... website."
    credit_extra: str = ""  # names between the podcast and "by" in the credit line
    slug: str = ""  # unique in the listing: from the title, else the summary's first words


@dataclass(frozen=True)
class Duplicate:
    line: int  # where the repeat starts
    first_line: int  # where the kept entry starts


@dataclass(frozen=True)
class ListingResult:
    episodes: tuple[ImportedEpisode, ...]
    duplicates: tuple[Duplicate, ...] = ()
    ignored: tuple[tuple[int, str], ...] = ()  # (line, text) of page chrome
    warnings: tuple[str, ...] = ()


def import_listing(path: Path, config: PodcastConfig | None = None) -> list[ImportedEpisode]:
    """The distinct episodes of a listing file (see ``load_listing`` for the full report)."""
    return list(load_listing(path, config).episodes)


def with_unique_slugs(episodes: tuple[ImportedEpisode, ...]) -> tuple[ImportedEpisode, ...]:
    """Listings carry no titles, so many entries would share the fallback slug: name each
    from its (provisional) title, else from the summary's first words, numbered if taken."""
    taken: set[str] = set()
    named = []
    for episode in episodes:
        basis = episode.meta.title or " ".join(episode.meta.summary.split()[:8])
        slug = base = slugify(basis, max_len=50)
        n = 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        named.append(dataclasses.replace(episode, slug=slug))
    return tuple(named)


def load_listing(path: Path, config: PodcastConfig | None = None) -> ListingResult:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ShowNotesError(f"cannot read listing: {exc}", path) from None
    result = parse_listing(text, config)
    result = dataclasses.replace(result, episodes=with_unique_slugs(result.episodes))
    if not result.episodes:
        raise ShowNotesError("no episodes found (expected 'Learn more on the ... website.'"
                             " footers after each entry)", path)
    return result


def parse_listing(text: str, config: PodcastConfig | None = None) -> ListingResult:
    """Parse listing text; ``config`` names the usual company and podcast, which helps
    read a credit such as "Narrated for X by TYPE III AUDIO." in a short listing."""
    lines = [ln.strip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    entries, ignored = _split_entries(lines)
    # A credit without " of " names either a narrator or a company: the listing's other
    # credits tell which.
    companies = {m.group("by").split(" of ", 1)[1].strip()
                 for ln in lines if (m := _NARRATED.match(ln)) and " of " in m.group("by")}
    websites = {m.group("site") for ln in lines if (m := _FOOTER_SITE.match(ln))}
    if config is not None:
        companies |= {config.production_company} - {""}
        websites |= {config.podcast, config.website} - {""}

    episodes: list[ImportedEpisode] = []
    duplicates: list[Duplicate] = []
    warnings: list[str] = []
    first_seen: dict[tuple, int] = {}
    for entry in entries:
        episode, problems = _parse_entry(entry, companies, websites)
        warnings += problems
        key = (episode.meta.summary, episode.meta.source_url, episode.meta.authors,
               episode.meta.narrator, episode.meta.note)
        if key in first_seen:
            duplicates.append(Duplicate(line=episode.line, first_line=first_seen[key]))
            continue
        first_seen[key] = episode.line
        episodes.append(episode)
    return ListingResult(tuple(episodes), tuple(duplicates), tuple(ignored), tuple(warnings))


def _split_entries(lines: list[str]) -> tuple[list[list[tuple[int, str]]], list[tuple[int, str]]]:
    entries: list[list[tuple[int, str]]] = []
    ignored: list[tuple[int, str]] = []
    current: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        number = i + 1
        if not line:
            continue
        if not current:
            nxt = next((ln for ln in lines[i + 1:] if ln), "")
            if line == "-":
                continue
            if line in _CHROME or (nxt == "-" and not _is_metadata(line)):
                ignored.append((number, line))
                continue
        # The footer's publisher line may be glued to the line before it.
        glued = _PODCAST_BY.match(line)
        if glued and glued.group("head").strip():
            current.append((number, glued.group("head").strip()))
            current.append((number, f"A podcast by {glued.group('publisher')}."))
            continue
        site = _FOOTER_SITE.match(line)
        if site:
            current.append((number, f"Learn more on the {site.group('site')} website."))
            if site.group("rest"):
                ignored.append((number, site.group("rest").strip()))
            entries.append(current)
            current = []
            continue
        current.append((number, line))
    if current:
        entries.append(current)
    return entries, ignored


def _is_metadata(line: str) -> bool:
    return any(p.match(line) for p in (_ORIGINAL, _AUTHORS, _NARRATED, _PODCAST_BY))


def _parse_entry(
    entry: list[tuple[int, str]], companies: set[str], websites: set[str]
) -> tuple[ImportedEpisode, list[str]]:
    start, end = entry[0][0], entry[-1][0]
    summary: list[str] = []
    fields: dict[str, object] = {}
    warnings: list[str] = []
    website = credit_extra = ""
    in_summary = True
    i = 0
    while i < len(entry):
        number, line = entry[i]
        i += 1
        if in_summary and not summary and (m := _NOTE.match(line)):
            fields["note"] = m.group("note").strip()
        elif m := _ORIGINAL.match(line):
            in_summary = False
            url = m.group("url")
            if not url and i < len(entry) and _URL.match(entry[i][1]):
                url = entry[i][1]
                i += 1
            if url:
                fields["source_url"] = url
            else:
                warnings.append(f"line {number}: '{line}' without a URL")
        elif m := _AUTHORS.match(line):
            in_summary = False
            names = m.group("names").strip().rstrip(".")
            fields["authors"] = tuple(n.strip() for n in names.split(",") if n.strip())
        elif m := _NARRATED.match(line):
            in_summary = False
            credit_extra = _parse_credit(m.group("for"), m.group("by"), companies, websites,
                                         fields)
        elif line == "---":
            in_summary = False
        elif m := _PODCAST_BY.match(line):
            in_summary = False
            fields["publisher"] = m.group("publisher").strip()
        elif m := _FOOTER_SITE.match(line):
            website = m.group("site")
        elif in_summary:
            summary.append(line)
        else:
            warnings.append(f"line {number}: unrecognized line after the summary: {line[:60]!r}")
    if "publisher" not in fields:
        warnings.append(f"line {start}: entry has no 'A podcast by ...' footer")
    url = str(fields.get("source_url", ""))
    meta = EpisodeMeta(
        title=title_from_url(url),
        summary="\n".join(summary),
        title_provisional=True,
        **fields,  # type: ignore[arg-type]
    )
    return ImportedEpisode(meta=meta, line=start, end_line=end, website=website,
                           credit_extra=credit_extra), warnings


def _parse_credit(
    for_part: str, by_part: str, companies: set[str], websites: set[str],
    fields: dict[str, object],
) -> str:
    """Fill podcast / narrator / production_company from a credit; return extra names."""
    extra = ""
    podcast = for_part.strip()
    for name in sorted(websites, key=len, reverse=True):
        if podcast.startswith(name):
            podcast, extra = name, podcast[len(name):].strip()
            break
    fields["podcast"] = podcast
    by_part = by_part.strip()
    if " of " in by_part:
        narrator, company = (s.strip() for s in by_part.split(" of ", 1))
        fields["narrator"], fields["production_company"] = narrator, company
    elif by_part in companies:
        fields["production_company"] = by_part
    else:
        fields["narrator"] = by_part
    return extra


_SMALL_WORDS = frozenset("a an and as at but by for in of on or the to vs via aka nor per".split())
_FILE_SUFFIX = re.compile(r"\.(?:html?|php|aspx?|pdf)$", re.IGNORECASE)


def title_from_url(url: str) -> str:
    """A readable title from a URL's last path segment, or "" when it is an id.

    ``.../chinchilla-s-wild-implications`` -> "Chinchilla's Wild Implications";
    ``arxiv.org/abs/2212.03827``, ``docs.google.com/.../edit`` -> "".
    """
    if not url:
        return ""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if not segments:
        return ""
    segment = _FILE_SUFFIX.sub("", unquote(segments[-1]))
    segment = re.sub(r"-\d+$", "", segment)  # "...-the-prior-1": a site's dedup counter
    tokens = [t for t in re.split(r"[-_]+", segment) if t]
    # Ids mix letters and digits ("HzcM2dkCq7fwXBej8"); words do not.
    if any(not (t.isalpha() or t.isdigit()) for t in tokens):
        return ""
    if sum(t.isalpha() for t in tokens) < 2 or max(len(t) for t in tokens) < 3:
        return ""
    words: list[str] = []
    for token in tokens:
        low = token.lower()
        if low in ("s", "t") and words:  # "chinchilla-s" was "chinchilla's"
            words[-1] += "'" + low
        else:
            words.append(low)
    titled = [w if (i and w in _SMALL_WORDS) else w[:1].upper() + w[1:]
              for i, w in enumerate(words)]
    return " ".join(titled)


# --------------------------------------------------------------------------- render

TEMPLATE_NAMES = {"text": "shownotes.txt.j2", "html": "shownotes.html.j2"}


def render_shownotes(
    meta: EpisodeMeta, config: PodcastConfig, fmt: Literal["text", "html"] = "text",
    chapters: Sequence[ChapterMark] = (),
) -> str:
    """Show notes in the feed's layout, as plain text or as HTML for a feed description.

    ``chapters`` are listed one per line as ``MM:SS Title`` (``H:MM:SS`` past an hour),
    the form podcast apps turn into chapters; the first should start at 0:00.

    Episode fields come from ``meta`` as they are (an empty narrator means no credit);
    the config fills podcast and publisher when ``meta`` leaves them empty and gives the
    website. Templates are looked up next to the config file (a podcast's own layout),
    then in the package's ``templates/`` (the feed's layout, shipped with the package).
    """
    if fmt not in TEMPLATE_NAMES:
        raise ShowNotesError(f"unknown show-notes format {fmt!r} (text or html)")
    own = [str(config.path.parent)] if config.path is not None else []
    search = [*own, "the package's templates/"]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.FileSystemLoader(own),
            jinja2.PackageLoader("audio_pipeline.metadata", "templates"),
        ]),
        autoescape=(fmt == "html"),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    try:
        template = env.get_template(TEMPLATE_NAMES[fmt])
        rendered = template.render(**_context(meta, config), chapters=[
            (clock(c.start, pad=True), " ".join(c.title.split())) for c in chapters])
    except jinja2.TemplateNotFound:
        raise ShowNotesError(f"template {TEMPLATE_NAMES[fmt]} not found in "
                             f"{', '.join(search)}") from None
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or TEMPLATE_NAMES[fmt]
        line = getattr(exc, "lineno", None)
        raise ShowNotesError(f"template error{f' at line {line}' if line else ''}: {exc}",
                             where) from None
    # Collapse blank runs a template may leave where optional parts were skipped.
    return re.sub(r"\n{3,}", "\n\n", rendered).strip() + "\n"


def _context(meta: EpisodeMeta, config: PodcastConfig) -> dict[str, object]:
    ctx: dict[str, object] = {f.name: getattr(meta, f.name) for f in dataclasses.fields(meta)}
    ctx["podcast"] = meta.podcast or config.podcast
    ctx["publisher"] = meta.publisher or config.publisher
    ctx["website"] = config.website
    ctx["summary_paragraphs"] = [p for p in meta.summary.split("\n") if p.strip()]
    ctx["url_is_link"] = bool(re.match(r"^https?://", meta.source_url, re.IGNORECASE))
    return ctx
