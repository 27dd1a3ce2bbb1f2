"""File-name-safe slugs for episodes.

A slug names every output of an episode (``<slug>.mp3``, ``<slug>.srt``...), so it must be
safe on every filesystem: ASCII letters, digits and single hyphens, never empty, never a
Windows reserved device name, and short enough to leave room for suffixes.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

FALLBACK = "episode"

# Windows refuses these as file names whatever the extension ("con.mp3" included).
_WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"com{i}" for i in range(10)]
    + [f"lpt{i}" for i in range(10)]
)

# Letters that NFKD does not decompose into ASCII but that have a usual transliteration.
_EXTRA = str.maketrans(
    {
        "ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o",
        "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "þ": "th", "Þ": "th", "ð": "d",
        "&": " and ", "'": "", "’": "",
    }
)

_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(text: str, max_len: int = 60) -> str:
    """``"Chinchilla’s wild implications!"`` -> ``"chinchillas-wild-implications"``.

    Text with no ASCII-representable letters (e.g. Cyrillic) gives ``"episode"``; callers
    that need uniqueness add their own suffix.
    """
    ascii_text = (
        unicodedata.normalize("NFKD", text.translate(_EXTRA))
        .encode("ascii", "ignore")
        .decode("ascii")
        .lower()
    )
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > max_len:
        cut = slug[: max_len + 1]
        # Prefer cutting at a word boundary unless that would lose most of the slug.
        boundary = cut.rfind("-")
        slug = cut[:boundary] if boundary >= max_len // 2 else slug[:max_len]
        slug = slug.strip("-")
    if not slug:
        return FALLBACK
    if slug in _WINDOWS_RESERVED:
        slug = f"{slug}-{FALLBACK}"
    return slug


def is_valid_slug(slug: str, max_len: int = 80) -> bool:
    """True for a slug a user may give explicitly (same alphabet as ``slugify`` output)."""
    return (
        bool(_SLUG_RE.match(slug))
        and len(slug) <= max_len
        and slug not in _WINDOWS_RESERVED
    )


def episode_slug(title: str, audio_path: str | Path | None) -> str:
    """The episode's slug: from its title, else from the audio file's name."""
    if title.strip():
        slug = slugify(title)
        # A title with no Latin letters (Cyrillic, CJK, emoji) slugs to the bare fallback;
        # several of those in one batch collided as duplicate slugs, so use the file's name.
        if slug != FALLBACK or FALLBACK in title.lower() or not audio_path:
            return slug
    if audio_path is not None and str(audio_path):
        return slugify(Path(audio_path).stem)
    return FALLBACK
