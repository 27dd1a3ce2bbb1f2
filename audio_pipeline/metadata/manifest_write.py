"""Writing a manifest (TOML): the inverse of ``manifest.load_manifest``.

Used by ``shownotes import``: an imported listing becomes a manifest to fill in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from audio_pipeline.errors import ManifestError
from audio_pipeline.fsutil import atomic_path
from audio_pipeline.metadata.tomlwrite import toml_key, toml_value
from audio_pipeline.types import Episode, EpisodeMeta

# The keys of an [[episode]] table, in the order they are written.
EPISODE_KEYS = (
    "audio",
    "title",
    "title_provisional",
    "slug",
    "authors",
    "narrator",
    "source_url",
    "source",
    "summary",
    "note",
    "episode_number",
    "season",
    "date",
    "podcast",
    "publisher",
    "production_company",
    "language",
    "explicit",
    "cover",
)


def dump_manifest(
    items: Iterable[Any], path: Path, *, podcast: Mapping[str, Any] | None = None
) -> None:
    """Write episodes as a manifest (atomically).

    ``items`` may hold ``Episode``, ``EpisodeMeta``, objects with ``meta`` and ``audio``
    attributes (``shownotes.ImportedEpisode``) or plain dicts of manifest keys. Empty
    values are left out, except ``audio`` and ``title`` which are always written so the
    file shows what is left to fill in.
    """
    path = Path(path)
    out: list[str] = []
    if podcast:
        out.append("[podcast]")
        out += [
            f"{toml_key(k)} = {toml_value(v, path.parent)}"
            for k, v in podcast.items()
            if v is not None
        ]
        out.append("")
    for item in items:
        table = _as_table(item)
        out.append("[[episode]]")
        for key in sorted(table, key=_key_order):
            value = table[key]
            if key not in ("audio", "title") and value in (None, "", (), [], False):
                continue
            out.append(f"{toml_key(key)} = {toml_value(value, path.parent)}")
        out.append("")
    _atomic_write(path, "\n".join(out))


def _as_table(item: Any) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return dict(item)
    if isinstance(item, Episode):
        table = _meta_table(item.meta)
        table.update(audio=item.audio or "", slug=item.slug, source=item.source)
        return table
    if isinstance(item, EpisodeMeta):
        return {"audio": "", **_meta_table(item)}
    if hasattr(item, "meta"):
        table = {"audio": getattr(item, "audio", "") or "", **_meta_table(item.meta)}
        if getattr(item, "slug", ""):
            table["slug"] = item.slug
        return table
    raise TypeError(f"cannot write {type(item).__name__} as a manifest episode")


def _meta_table(meta: EpisodeMeta) -> dict[str, Any]:
    table = {f.name: getattr(meta, f.name) for f in dataclasses.fields(meta)}
    if table["language"] == "en":  # the default; keep imported manifests short
        table["language"] = ""
    return table


def _key_order(key: str) -> tuple[int, str]:
    return (EPISODE_KEYS.index(key) if key in EPISODE_KEYS else len(EPISODE_KEYS), key)


def _atomic_write(path: Path, text: str) -> None:
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise ManifestError(f"cannot write manifest: {exc.strerror or exc}", path) from None
