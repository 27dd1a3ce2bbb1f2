"""Cover art checks: what players and hosts accept as an embedded image."""

from __future__ import annotations

from pathlib import Path

COVER_MAX_BYTES = 2 * 1024 * 1024  # players and hosts choke on bigger embedded art


def image_problem(path: Path) -> str | None:
    """Why ``path`` cannot be embedded as cover art (JPEG or PNG, at most 2 MiB), or None."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        return f"cover image not found: {path}"
    except OSError as exc:
        return f"cannot read cover image {path}: {exc}"
    if image_mime(head) is None:
        return f"cover image {path} is neither JPEG nor PNG"
    if size > COVER_MAX_BYTES:
        return f"cover image {path} is {size / 1048576:.1f} MiB, over the 2 MiB limit"
    return None


def image_mime(head: bytes) -> str | None:
    """MIME type from the magic bytes: the extension may lie."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None
