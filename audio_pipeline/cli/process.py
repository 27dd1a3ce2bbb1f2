"""The `process` command (one episode, every stage) and the `models` group."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from audio_pipeline.cli.common import (
    config_option,
    echo_err,
    engine_options,
    handle_errors,
    meta_kwargs,
    metadata_options,
    print_table,
    stage_line,
)


@click.command()
@click.argument("audio", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Output folder.",
)
@click.option(
    "--source",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The article text (markdown, HTML or plain) the narration reads.",
)
@click.option("--slug", default=None, help="Output name (default: from the title or file name).")
@metadata_options
@config_option
@click.option(
    "--model",
    default=None,
    help="Whisper model: bundled name, checkpoint, "
    "CTranslate2 folder or Whisper name (default: config, else tiny.en).",
)
@click.option("--allow-download", is_flag=True, help="Let Whisper download a named model.")
@engine_options
@click.option(
    "--language",
    default=None,
    help="Language code (en, fr, pt-BR, ...) or auto: from the article, confirmed by the "
    "audio (default: config).",
)
@click.option(
    "--preset", default=None, help="Loudness preset (podcast, podcast-mono, ebu-r128, streaming)."
)
@click.option("--target", type=float, default=None, help="Integrated loudness target, LUFS.")
@click.option("--true-peak", type=float, default=None, help="True-peak ceiling, dBTP.")
@click.option("--no-cache", is_flag=True, help="Transcribe again even if cached.")
@click.option("--no-leveler", is_flag=True, help="Gain and limiter only: never level the speech.")
@click.option("--edit", is_flag=True, default=None,
              help="Also render <slug>.edited.mp3 from the edit list (needs --source).")
@handle_errors
def process(
    audio: Path,
    out_dir: Path,
    source: Path | None,
    slug: str | None,
    config_path: Path | None,
    model: str | None,
    allow_download: bool,
    language: str | None,
    preset: str | None,
    target: float | None,
    true_peak: float | None,
    no_cache: bool,
    no_leveler: bool,
    id3v23: bool,
    engine: str | None,
    vad: bool | None,
    edit: bool | None,
    **meta: Any,
) -> None:
    """Run every stage on one episode: transcribe, align, normalize, encode, tag, publish."""
    from audio_pipeline.cache import TranscriptCache
    from audio_pipeline.metadata.config import load_config, with_overrides
    from audio_pipeline.metadata.manifest import build_episode
    from audio_pipeline.pipeline import episode_verdict, make_transcriber, process_episode

    config = with_overrides(
        load_config(config_path),
        model=model,
        language=language,
        engine=engine,
        vad=vad,
        loudness_preset=preset,
        target_lufs=target,
        true_peak=true_peak,
        id3_version=3 if id3v23 else None,
        leveler=False if no_leveler else None,
        edit=edit or None,
    )
    episode = build_episode(audio, config, source=source, slug=slug, **meta_kwargs(meta))
    cache = None if no_cache else TranscriptCache()
    result = process_episode(
        episode, config, out_dir, cache=cache, on_stage=stage_line,
        make=lambda: make_transcriber(config, allow_download=allow_download),
    )
    for warning in result.warnings:
        echo_err(f"warning: {warning}")
    if result.loudness is not None and result.loudness.output is not None:
        out = result.loudness.output
        echo_err(
            f"loudness: {out.integrated:.1f} LUFS, true peak {out.true_peak:.1f} dBTP "
            f"(target {result.loudness.target:g}, ceiling {result.loudness.ceiling:g})"
        )
    echo_err(episode_verdict(result))
    folder = result.outputs["mp3"].parent
    click.echo(f"outputs: {folder}")


@click.group()
def models() -> None:
    """List the Whisper models available offline, or export one."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def models_list(as_json: bool) -> None:
    """Show bundled, cached and downloadable models."""
    from dataclasses import asdict

    from audio_pipeline.transcribe import list_models

    infos = list_models()
    if as_json:
        click.echo(json.dumps([asdict(i) for i in infos], default=str, indent=2))
        return
    print_table(
        ["name", "kind", "available", "path"],
        [[i.name, i.kind, "yes" if i.available else "no", str(i.path or "")] for i in infos],
    )


@models.command("export")
@click.argument("name")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--allow-download", is_flag=True, help="Let Whisper download a named model.")
@handle_errors
def models_export(name: str, dest: Path, allow_download: bool) -> None:
    """Write NAME as an openai-whisper checkpoint (usable by `whisper --model DEST`)."""
    from audio_pipeline.transcribe import export_model

    click.echo(f"wrote {export_model(name, dest, allow_download=allow_download)}")


@models.command("prepare")
@click.argument("name", default="tiny.en")
@click.option("--allow-download", is_flag=True, help="Let Whisper download a named model.")
@handle_errors
def models_prepare(name: str, allow_download: bool) -> None:
    """Convert (or download) NAME into the cache now, so the first episode starts at once."""
    from audio_pipeline.transcribe import resolve_model

    resolved = resolve_model(name, allow_download=allow_download)
    click.echo(f"{resolved.name}: {resolved.checkpoint or 'in the whisper cache'}")
