"""Article text (markdown, HTML or plain) -> headings, sentences and words with offsets.

``SourceText.text`` is the *readable* text: one block (heading, paragraph, list item,
verse line group) per paragraph, blocks separated by a blank line. Every offset in
``SourceSentence`` and ``SourceWord`` points into it.

What is dropped because nobody reads it aloud:

- URLs (``http://``, ``https://``, ``www.``), also as link text; a link's own text stays.
- Footnote markers: ``[1]``, ``[^note]``, ``^1``, HTML ``<sup>`` holding only digits or
  brackets; markdown footnote / link definitions (``[^1]: ...``, ``[x]: url``).
- Images (``![alt](src)``, ``<img>``), fenced and indented code blocks, ``<pre>``,
  tables, raw HTML in markdown, and in HTML: ``script``, ``style``, ``head``, ``nav``,
  ``noscript``, ``svg``, ``figure``/``figcaption``, ``table``, ``footer`` and footnote
  sections (class ``footnotes``/``endnotes``, role ``doc-endnotes``).
- Emphasis and inline markup; inline code keeps its text; front matter (``---``).

Structure:

- Markdown: ATX and setext headings; each paragraph, list item and blockquote paragraph
  is a block.
- HTML: ``h1``-``h6`` are headings; ``p``, ``li``, ``blockquote``, ``div``, ``br`` and
  the like end a block.
- Plain text: blocks are separated by blank lines. A single short line (<= 80 chars)
  without closing punctuation, followed by another block, is a heading. A block of two
  or more lines that are all <= 60 chars is verse (or a list): every line is its own
  sentence, so each line gets its own times.

Sentences end at ``.``, ``!``, ``?`` or ``…`` (closing quotes allowed) before a capital or
digit of any script, unless the word before is an abbreviation ("Dr.") or an initial.
``SourceWord.spoken`` holds the tokens of ``textnorm.spoken_tokens`` in the article's
language; words that are never spoken (a lone dash) are not words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

from audio_pipeline.align.sentences import sentence_spans, word_spans
from audio_pipeline.align.textnorm import spoken_tokens
from audio_pipeline.errors import SourceError
from audio_pipeline.types import SourceSentence, SourceText, SourceWord

Format = Literal["markdown", "html", "text"]
_EXTENSIONS: dict[str, Format] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".txt": "text",
    ".text": "text",
}

_URL = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)
_FOOTNOTE = re.compile(r"\s*(?:\[\^[^\]\s]+\]|\[\d{1,3}\]|(?<=\S)\^\d{1,3}\b|\^\[[^\]]*\])")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class _Block:
    kind: Literal["heading", "sentence", "lines"]
    text: str
    level: int = 0


MAX_ARTICLE_BYTES = 2_000_000  # ~300k words: 30 hours read aloud; anything longer is not one


def read_article(path: Path) -> str:
    """An article file's text: UTF-8, UTF-16/32 with a BOM, else Windows-1252/Latin-1
    (what older editors save); raises SourceError for empty, binary or huge files."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_ARTICLE_BYTES:
            raise SourceError(f"article is too long: {size / 1e6:.1f} MB (at most "
                              f"{MAX_ARTICLE_BYTES / 1e6:g} MB of text)", path)
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read article: {exc.strerror or exc}", path) from exc
    if not raw.strip():
        raise SourceError("article is empty", path)
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                       (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            try:
                text = raw.decode(codec)
                break
            except UnicodeDecodeError as exc:
                raise SourceError(f"article is not valid {codec.upper()} (byte {exc.start})",
                                  path) from exc
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r\f")
    if "\x00" in text or controls > len(text) // 100:
        raise SourceError("article looks like a binary file, not text", path)
    return text


def parse_source(path: Path, language: str = "en") -> SourceText:
    """Read an article file; the format comes from the extension, else it is sniffed."""
    path = Path(path)
    text = read_article(path)
    fmt = _EXTENSIONS.get(path.suffix.lower()) or sniff_format(text)
    source = parse_source_text(text, fmt, language)
    if not source.words:
        raise SourceError("article has no readable words", path)
    return replace(source, path=path)


def sniff_format(text: str) -> Format:
    head = text.lstrip()[:2000].lower()
    if head.startswith(("<!doctype html", "<html")) or re.search(r"<(p|h[1-6]|div|body)\b", head):
        return "html"
    if re.search(r"^#{1,6} \S|^\S.*\n(=+|-+)\s*$|\]\([^)]+\)", text[:5000], re.MULTILINE):
        return "markdown"
    return "text"


def parse_source_text(text: str, fmt: str, language: str = "en") -> SourceText:
    """Parse article text given as a string; ``fmt`` is markdown/md, html or text/txt;
    ``language`` (an ISO code) is how its words are spoken (align.textnorm)."""
    fmt = {"md": "markdown", "txt": "text", "plain": "text", "htm": "html"}.get(fmt, fmt)
    if fmt == "markdown":
        blocks = _markdown_blocks(text)
    elif fmt == "html":
        blocks = _html_blocks(text)
    elif fmt == "text":
        blocks = _text_blocks(text)
    else:
        raise SourceError(f"unknown article format {fmt!r} (markdown, html or text)")
    return _assemble(blocks, language)


# --------------------------------------------------------------------------- blocks


def _clean(text: str) -> str:
    text = _URL.sub(" ", text)
    text = _FOOTNOTE.sub("", text)
    return _SPACE.sub(" ", text).strip()


_FRONT_MATTER = re.compile(
    r"\A(?:---|\+\+\+)[ \t]*\n.*?\n(?:---|\+\+\+|\.\.\.)[ \t]*(?:\n|\Z)", re.S
)


def _markdown_blocks(text: str) -> list[_Block]:
    text = _FRONT_MATTER.sub("", text.lstrip("\ufeff"), count=1)
    md = MarkdownIt("commonmark").enable("table")
    blocks: list[_Block] = []
    skip_depth = 0
    heading_level = 0
    for tok in md.parse(text):
        if tok.type in ("table_open",):
            skip_depth += 1
        elif tok.type in ("table_close",):
            skip_depth -= 1
        elif tok.type == "heading_open":
            heading_level = int(tok.tag[1])
        elif tok.type == "heading_close":
            heading_level = 0
        elif tok.type == "inline" and skip_depth == 0:
            line = _clean(_inline_text(tok.children or []))
            if not line or re.match(r"^\[\^?[^\]]+\]:", tok.content):
                continue
            if heading_level:
                blocks.append(_Block("heading", line, heading_level))
            else:
                blocks.append(_Block("sentence", line))
    return blocks


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        # images (alt text), raw inline HTML and link targets are not read aloud
    return "".join(parts)


_NOTES_CLASSES = frozenset({"footnotes", "footnote", "footnotes-list", "endnotes"})


def _is_notes(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    # Footnotes/endnotes (pandoc, markdown-it, DPUB roles) and page footers are not read
    # aloud, as in the markdown path; left in, they show up as false "skipped" issues.
    if tag == "footer":
        return True
    if tag in ("br", "hr", "img", "wbr", "input", "meta", "link", "source"):
        return False  # void: no end tag would ever pop it off the skip stack
    values = dict(attrs)
    classes = set((values.get("class") or "").split())
    return bool(classes & _NOTES_CLASSES) or values.get("role") in ("doc-endnotes", "doc-footnote")


class _HTMLBlocks(HTMLParser):
    SKIP = frozenset(
        {
            "script",
            "style",
            "head",
            "nav",
            "noscript",
            "svg",
            "pre",
            "table",
            "figure",
            "figcaption",
            "template",
            "iframe",
            "button",
            "form",
        }
    )
    BLOCK = frozenset(
        {
            "p",
            "li",
            "blockquote",
            "div",
            "section",
            "article",
            "br",
            "dd",
            "dt",
            "ul",
            "ol",
            "main",
            "header",
            "aside",
            "hr",
            "body",
            "tr",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self._buf: list[str] = []
        self._skip: list[str] = []
        self._heading = 0
        self._sup: list[str] | None = None

    def _flush(self) -> None:
        line = _clean("".join(self._buf))
        self._buf = []
        if line:
            self.blocks.append(
                _Block("heading", line, self._heading)
                if self._heading
                else _Block("sentence", line)
            )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip:
            if tag == self._skip[-1] or tag in self.SKIP:
                self._skip.append(tag)
            return
        if tag in self.SKIP or _is_notes(tag, attrs):
            self._skip.append(tag)
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self._heading = int(tag[1])
        elif tag in self.BLOCK:
            self._flush()
        elif tag == "sup":
            self._sup = []

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if tag == self._skip[-1]:
                self._skip.pop()
            return
        if re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self._heading = 0
        elif tag in self.BLOCK:
            self._flush()
        elif tag == "sup" and self._sup is not None:
            inner = "".join(self._sup)
            self._sup = None
            if not re.fullmatch(r"\s*[\[\(]?[\d,\s*†‡-]+[\]\)]?\s*", inner):
                self._buf.append(inner)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        (self._sup if self._sup is not None else self._buf).append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def _html_blocks(text: str) -> list[_Block]:
    parser = _HTMLBlocks()
    parser.feed(text)
    parser.close()
    return parser.blocks


def _text_blocks(text: str) -> list[_Block]:
    paragraphs = [p for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    blocks: list[_Block] = []
    for i, para in enumerate(paragraphs):
        lines = [ln.strip() for ln in para.strip().split("\n") if ln.strip()]
        if (
            len(lines) == 1
            and len(lines[0]) <= 80
            and i + 1 < len(paragraphs)
            and not re.search(r"[.!?:;,…\"”']$", lines[0])
        ):
            blocks.append(_Block("heading", _clean(lines[0]), 1))
        elif len(lines) >= 2 and all(len(ln) <= 60 for ln in lines):
            blocks.append(_Block("lines", "\n".join(_clean(ln) for ln in lines)))
        else:
            blocks.append(_Block("sentence", _clean(" ".join(lines))))
    return [b for b in blocks if b.text]


# --------------------------------------------------------------------------- assembly


def _assemble(blocks: list[_Block], language: str) -> SourceText:
    parts: list[str] = []
    sentences: list[SourceSentence] = []
    words: list[SourceWord] = []
    pos = 0
    for block in blocks:
        if parts:
            parts.append("\n\n")
            pos += 2
        parts.append(block.text)
        if block.kind == "heading":
            spans = [(0, len(block.text))]
        elif block.kind == "lines":
            spans, cursor = [], 0
            for line in block.text.split("\n"):
                spans.append((cursor, cursor + len(line)))
                cursor += len(line) + 1
        else:
            spans = sentence_spans(block.text)
        for s, e in spans:
            first = len(words)
            for ws, we, word in word_spans(block.text[s:e], pos + s, language):
                spoken = spoken_tokens(word, language)
                words.append(SourceWord(word, ws, we, len(sentences), spoken))
            if len(words) == first:
                continue  # nothing readable: not a sentence
            sentences.append(
                SourceSentence(
                    index=len(sentences),
                    kind="heading" if block.kind == "heading" else "sentence",
                    text=block.text[s:e],
                    start_char=pos + s,
                    end_char=pos + e,
                    first_word=first,
                    last_word=len(words) - 1,
                    heading_level=block.level if block.kind == "heading" else 0,
                )
            )
        pos += len(block.text)
    return SourceText(
        text="".join(parts), sentences=tuple(sentences), words=tuple(words), language=language
    )
