"""Commands for single files: `loudness`, `tag` and `inspect` (Click only, no logic)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from audio_pipeline.cli.common import (
    EXIT_FAILED,
    config_option,
    echo_err,
    handle_errors,
    meta_kwargs,
    metadata_options,
    print_table,
)
from audio_pipeline.errors import PipelineError
from audio_pipeline.formatting import finite, fixed


@click.command()
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
    from audio_pipeline.loudness.normalizer import load_preset, measure
    from audio_pipeline.media.decoder import decode
    from audio_pipeline.metadata.config import load_config

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
            echo_err(f"error: {exc.one_line()}")
            failed = True
            continue
        gain = None if m.integrated == float("-inf") else goal - m.integrated
        docs.append(
            {
                "file": str(path),
                "integrated": finite(m.integrated),
                "lra": finite(m.lra),
                "true_peak": finite(m.true_peak),
                "sample_peak": finite(m.sample_peak),
                "target": goal,
                "gain_needed": gain,
            }
        )
        rows.append(
            [
                str(path),
                fixed(m.integrated, unit=" LUFS"),
                fixed(m.lra, unit=" LU"),
                fixed(m.true_peak, unit=" dBTP"),
                fixed(gain, unit=" dB"),
            ]
        )
    if as_json:
        click.echo(json.dumps(docs, indent=2, default=lambda v: None))
    elif rows:
        print_table(["file", "integrated", "LRA", "true peak", f"gain to {goal:g}"], rows)
    if failed:
        sys.exit(EXIT_FAILED)


@click.command()
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
    from audio_pipeline.errors import ManifestError
    from audio_pipeline.metadata.config import load_config
    from audio_pipeline.metadata.manifest import build_episode, load_manifest
    from audio_pipeline.metadata.tags import current_fields, retag

    config = load_config(config_path)
    if manifest is not None:
        # Not strict: a problem in another episode must not stop tagging this one.
        loaded = load_manifest(manifest, config, check_files=False, strict=False)
        matches = [e for e in loaded.episodes if slug in (None, e.slug)]
        own = [str(p) for p in loaded.problems if slug and p.slug == slug]
        if own:
            raise ManifestError("; ".join(own), manifest)
        if len(matches) != 1 or (slug is None and loaded.problems):
            known = ", ".join(e.slug for e in loaded.episodes)
            raise ManifestError(f"--slug must name one episode (known: {known})", manifest)
        episode = matches[0]
        config = loaded.config
    else:
        # A flag not given keeps the file's value.
        episode = build_episode(mp3, config, **{**current_fields(mp3), **meta_kwargs(meta)})
    version = 3 if id3v23 else config.id3_version
    warnings = retag(mp3, episode.meta, version=version)
    for warning in warnings:
        echo_err(f"warning: {warning}")
    click.echo(f"tagged {mp3} (ID3v2.{version})")


@click.command()
@click.argument("mp3", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def inspect(mp3: Path, as_json: bool) -> None:
    """Show an MP3's tags, chapters and loudness."""
    from audio_pipeline.loudness.normalizer import measure
    from audio_pipeline.media.decoder import decode
    from audio_pipeline.metadata.tags import read_tags

    tags = read_tags(mp3)
    m = measure(decode(mp3))
    loud = {"integrated": finite(m.integrated), "lra": finite(m.lra),
            "true_peak": finite(m.true_peak)}
    if as_json:
        click.echo(
            json.dumps(
                {"file": str(mp3), "tags": tags.to_json(), "loudness": loud},
                indent=2,
                ensure_ascii=False,
                default=lambda v: None,
            )
        )
        return
    rows = [[k, _short(v)] for k, v in tags.to_json().items() if k != "chapters"]
    rows += [[f"chapter {c.start:.1f}s", c.title] for c in tags.chapters]
    rows += [
        [
            "loudness",
            f"{fixed(m.integrated, unit=' LUFS')}, LRA {fixed(m.lra, unit=' LU')}, "
            f"true peak {fixed(m.true_peak, unit=' dBTP')}",
        ]
    ]
    print_table(["field", "value"], rows, title=str(mp3))



def _short(value: Any, limit: int = 100) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
