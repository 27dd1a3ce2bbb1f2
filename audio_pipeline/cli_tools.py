"""Commands for single files: `loudness`, `tag` and `inspect` (Click only, no logic)."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from .cli import (
    EXIT_FAILED,
    _echo_err,
    _meta_kwargs,
    cli,
    config_option,
    handle_errors,
    metadata_options,
    print_table,
)
from .errors import PipelineError


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return "-"
    return f"{value:.1f}{unit}"


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--preset", default=None, help="Preset whose target the gain is computed for.")
@click.option("--target", type=float, default=None, help="Target LUFS (overrides the preset).")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def loudness(
    files: tuple[Path, ...],
    preset: str | None,
    target: float | None,
    config_path: Path | None,
    as_json: bool,
) -> None:
    """Measure integrated loudness, loudness range and true peak of audio files."""
    from .config import load_config
    from .loudness import load_preset, measure
    from .media import decode

    config = load_config(config_path)
    chosen = load_preset(preset or config.loudness_preset)
    goal = (
        target
        if target is not None
        else (
            config.target_lufs
            if preset is None and config.target_lufs is not None
            else chosen.target
        )
    )
    rows, docs, failed = [], [], False
    for path in files:
        try:
            m = measure(decode(path), dual_mono=chosen.dual_mono)
        except PipelineError as exc:
            _echo_err(f"error: {exc.one_line()}")
            failed = True
            continue
        gain = None if m.integrated == float("-inf") else goal - m.integrated
        docs.append(
            {
                "file": str(path),
                "integrated": _finite(m.integrated),
                "lra": _finite(m.lra),
                "true_peak": _finite(m.true_peak),
                "sample_peak": _finite(m.sample_peak),
                "target": goal,
                "gain_needed": gain,
            }
        )
        rows.append(
            [
                str(path),
                _fmt(m.integrated, " LUFS"),
                _fmt(m.lra, " LU"),
                _fmt(m.true_peak, " dBTP"),
                _fmt(gain, " dB"),
            ]
        )
    if as_json:
        click.echo(json.dumps(docs, indent=2, default=lambda v: None))
    elif rows:
        print_table(["file", "integrated", "LRA", "true peak", f"gain to {goal:g}"], rows)
    if failed:
        sys.exit(EXIT_FAILED)


@cli.command()
@click.argument("mp3", type=click.Path(path_type=Path))
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Take the metadata from this manifest's episode (with --slug).",
)
@click.option("--slug", default=None, help="Which manifest episode.")
@metadata_options
@config_option
@handle_errors
def tag(
    mp3: Path,
    manifest: Path | None,
    slug: str | None,
    config_path: Path | None,
    id3v23: bool,
    **meta: Any,
) -> None:
    """(Re)tag an MP3 in place without re-encoding it; with metadata flags, what a flag
    does not give keeps the file's current value."""
    from .config import build_episode, image_problem, load_config, load_manifest
    from .errors import ManifestError
    from .tags import read_tags, write_tags
    from .types import ChapterMark

    config = load_config(config_path)
    current = read_tags(mp3)
    if manifest is not None:
        # Not strict: a problem in another episode must not stop tagging this one.
        loaded = load_manifest(manifest, config, check_files=False, strict=False)
        matches = [e for e in loaded.episodes if slug in (None, e.slug)]
        own = [p for p in loaded.problems if slug and p.partition(": ")[0].endswith(f"({slug})")]
        if own:
            raise ManifestError("; ".join(own), manifest)
        if len(matches) != 1 or (slug is None and loaded.problems):
            known = ", ".join(e.slug for e in loaded.episodes)
            raise ManifestError(f"--slug must name one episode (known: {known})", manifest)
        episode = matches[0]
        config = loaded.config
    else:
        # A flag not given keeps the file's value: `tag ep.mp3 --author X` used to wipe the
        # title, summary, URL, ... the file already had.
        kept = {k: current[k] for k in _KEPT_ON_RETAG if current.get(k) not in (None, [], "")}
        episode = build_episode(mp3, config, **{**kept, **_meta_kwargs(meta)})
    version = 3 if id3v23 else config.id3_version
    # Chapters and the transcript come from `process`, not from tags or flags: keep them.
    chapters = [ChapterMark(c["title"], c["start"], c["end"]) for c in current["chapters"]]
    with tempfile.TemporaryDirectory() as scratch:
        meta = episode.meta
        if meta.cover is None and current.get("cover"):  # no cover asked for: keep the file's
            kept_cover = Path(scratch) / "cover"
            kept_cover.write_bytes(_cover_bytes(mp3))
            if image_problem(kept_cover) is None:  # a GIF or oversized one cannot be re-added
                meta = dataclasses.replace(meta, cover=kept_cover)
            else:
                _echo_err("warning: the file's cover is neither JPEG nor PNG under 2 MiB: dropped")
        warnings = write_tags(mp3, meta, version=version, chapters=chapters,
                              transcript_text=current.get("transcript") or "")
    for warning in warnings:
        _echo_err(f"warning: {warning}")
    click.echo(f"tagged {mp3} (ID3v2.{version})")


def _cover_bytes(mp3: Path) -> bytes:
    from mutagen.id3 import ID3, PictureType

    return next(f.data for f in ID3(mp3).getall("APIC") if f.type == PictureType.COVER_FRONT)


@cli.command()
@click.argument("mp3", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def inspect(mp3: Path, as_json: bool) -> None:
    """Show an MP3's tags, chapters and loudness."""
    from .loudness import measure
    from .media import decode
    from .tags import read_tags

    tags = read_tags(mp3)
    m = measure(decode(mp3))
    loud = {"integrated": _finite(m.integrated), "lra": _finite(m.lra),
            "true_peak": _finite(m.true_peak)}
    if as_json:
        click.echo(
            json.dumps(
                {"file": str(mp3), "tags": tags, "loudness": loud},
                indent=2,
                ensure_ascii=False,
                default=lambda v: None,
            )
        )
        return
    rows = [[k, _short(v)] for k, v in tags.items() if k != "chapters"]
    rows += [
        [f"chapter {c.get('start', 0):.1f}s", str(c.get("title", ""))]
        for c in tags.get("chapters", [])
    ]
    rows += [
        [
            "loudness",
            f"{_fmt(m.integrated, ' LUFS')}, LRA {_fmt(m.lra, ' LU')}, "
            f"true peak {_fmt(m.true_peak, ' dBTP')}",
        ]
    ]
    print_table(["field", "value"], rows, title=str(mp3))


_KEPT_ON_RETAG = ("title", "authors", "narrator", "source_url", "summary", "episode_number",
                  "season", "date")


def _finite(value: float | None) -> float | None:
    # Silence measures -inf; json.dumps would write -Infinity, which is not JSON (jq rejects it).
    return value if value is not None and math.isfinite(value) else None


def _short(value: Any, limit: int = 100) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
