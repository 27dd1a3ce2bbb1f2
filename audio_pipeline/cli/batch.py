"""The `batch` and `shownotes` commands (Click only; the work is in batch/ and metadata/).

Exit codes of `batch`: 0 when every episode is ok or up to date, 1 when any failed or
was invalid, 2 for usage errors (bad options, a manifest or config that cannot be read
or parsed, `--only` naming no episode).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Literal

import click

from audio_pipeline.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    config_option,
    echo_err,
    engine_options,
    handle_errors,
    print_table,
)
from audio_pipeline.errors import BatchError, ConfigError, ManifestError
from audio_pipeline.types import EpisodeSummary


@click.command()
@click.argument("manifest_path", metavar="MANIFEST",
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder: one sub-folder per episode, and batch-report.json.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: as many as the cores and memory allow).")
@click.option("--force", is_flag=True, help="Redo episodes whose outputs are up to date.")
@click.option("--dry-run", is_flag=True, help="Validate every episode and show the plan; "
              "write nothing.")
@click.option("--only", multiple=True, metavar="SLUG", help="Only this episode (repeatable).")
@click.option("--scheduler", envvar="DASK_SCHEDULER_ADDRESS", default=None,
              metavar="tcp://HOST:PORT", help="Run on a Dask cluster (default: "
              "$DASK_SCHEDULER_ADDRESS; unset: local worker processes).")
@click.option("--model", default=None, help="Whisper model (default: config, else tiny.en).")
@click.option("--allow-download", is_flag=True, help="Let Whisper download a named model.")
@click.option("--language", default=None, help="Language of episodes that name none "
              "(a code, or auto: detected; default: config).")
@engine_options
@click.option("--no-cache", is_flag=True, help="Transcribe again even if cached.")
@click.option("--edit", is_flag=True, default=None,
              help="Also render each <slug>.edited.mp3 from its edit list.")
@click.option("-q", "--quiet", is_flag=True, help="No progress; only failures and the exit code.")
@click.option("--log-json", is_flag=True, help="Progress as JSON lines on stderr "
              "(time, slug, event, stage, ...).")
@config_option
@handle_errors
def batch(manifest_path: Path, out_dir: Path, jobs: int | None, force: bool, dry_run: bool,
          only: tuple[str, ...], scheduler: str | None, model: str | None,
          allow_download: bool, language: str | None, no_cache: bool, quiet: bool,
          log_json: bool, config_path: Path | None, engine: str | None,
          vad: bool | None, edit: bool | None) -> None:
    """Process every episode of MANIFEST: validate all first, then run them in parallel.

    Finished episodes whose inputs and settings did not change are skipped; each episode
    folder appears complete or not at all, so a killed batch can simply be rerun.
    """
    from audio_pipeline.batch.plan import select
    from audio_pipeline.batch.runner import dropped_slugs, run_batch
    from audio_pipeline.metadata.config import load_config
    from audio_pipeline.metadata.manifest import load_manifest

    try:
        config = load_config(config_path)
        manifest = load_manifest(manifest_path, config, check_files=True, strict=False,
                                 overrides={"model": model, "language": language,
                                            "engine": engine, "vad": vad,
                                            "edit": edit or None})
        select(manifest.episodes, only, dropped_slugs(manifest))
    except (ConfigError, ManifestError, BatchError) as exc:
        echo_err(f"error: {exc.one_line()}")
        sys.exit(EXIT_USAGE)

    reporter = _reporter(quiet, log_json)
    kwargs: dict[str, Any] = dict(jobs=jobs, force=force, dry_run=dry_run, only=only,
                                  scheduler=scheduler, use_cache=not no_cache,
                                  allow_download=allow_download, on_event=reporter)
    if hasattr(reporter, "__enter__"):
        with reporter:  # type: ignore[union-attr]
            report = run_batch(manifest, out_dir, **kwargs)
    else:
        report = run_batch(manifest, out_dir, **kwargs)

    if quiet:
        for row in report.episodes:
            if row.status == "failed":
                echo_err(f"failed: {row.slug}: {row.error}")
    else:
        _print_report(report.episodes, dry_run)
        if not dry_run:
            click.echo(f"report: {out_dir / 'batch-report.json'}")
    if not report.ok:
        sys.exit(EXIT_FAILED)


def _reporter(quiet: bool, log_json: bool) -> Any:
    from rich.console import Console

    from audio_pipeline.cli.progress import JsonLog, PlainLog, RichProgress

    if log_json:
        return JsonLog(echo_err)
    if quiet:
        return None
    console = Console(stderr=True)
    return RichProgress(console) if console.is_terminal else PlainLog(echo_err)


def _print_report(rows: list[EpisodeSummary], dry_run: bool) -> None:
    from audio_pipeline.formatting import clock, fixed
    from audio_pipeline.pipeline import INNER_TIMES

    table = []
    for row in rows:
        state = row.state
        if dry_run and not row.invalid:
            state = "run" if row.reason == "dry run" else "up to date"
        loud = row.loudness
        lufs = "-" if loud is None else f"{fixed(loud.input_lufs)}→{fixed(loud.output_lufs)}"
        seconds = sum(v for k, v in row.stage_seconds.items()
                      if k != "total" and k not in INNER_TIMES)
        table.append([
            row.slug, state, clock(row.duration) if row.duration else "-",
            f"{seconds:.1f}" if seconds else "-",
            f"{row.coverage:.0%}" if row.coverage is not None else "-",
            str(row.match or "-"), lufs,
            str(sum(row.issues.values())) if row.coverage is not None else "-",
            row.error or "",
        ])
    print_table(["episode", "status", "audio", "time s", "coverage", "match", "LUFS in→out",
                 "issues", "error"], table, title="batch")


# --------------------------------------------------------------------------- shownotes


@click.group()
def shownotes() -> None:
    """Import a show-notes listing into a manifest, or render an episode's notes."""


@shownotes.command("import")
@click.argument("listing", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Manifest to write (TOML); fill in each episode's `audio` afterwards.")
@handle_errors
def shownotes_import(listing: Path, output: Path) -> None:
    """Turn a feed listing (like the seed page) into a manifest of episodes."""
    from audio_pipeline.metadata.manifest_write import dump_manifest
    from audio_pipeline.metadata.shownotes import load_listing

    result = load_listing(listing)
    sites = {e.website for e in result.episodes if e.website}
    podcast = {"website": sites.pop()} if len(sites) == 1 else None
    dump_manifest(result.episodes, output, podcast=podcast)
    provisional = sum(1 for e in result.episodes if e.meta.title_provisional)
    click.echo(f"wrote {output}: {len(result.episodes)} episode(s), "
               f"{len(result.duplicates)} duplicate(s) left out, "
               f"{provisional} provisional title(s) to check")
    for dup in result.duplicates:
        echo_err(f"duplicate: {listing}:{dup.line} repeats the entry at line {dup.first_line}")
    for warning in result.warnings:
        echo_err(f"warning: {warning}")


@shownotes.command("render")
@click.argument("manifest_path", metavar="MANIFEST",
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--slug", default=None, help="Only this episode (default: all).")
@click.option("--html", "as_html", is_flag=True, help="HTML for a feed description.")
@config_option
@handle_errors
def shownotes_render(manifest_path: Path, slug: str | None, as_html: bool,
                     config_path: Path | None) -> None:
    """Print the show notes of a manifest's episodes, as text or HTML."""
    from audio_pipeline.metadata.config import load_config
    from audio_pipeline.metadata.manifest import load_manifest
    from audio_pipeline.metadata.shownotes import render_shownotes

    manifest = load_manifest(manifest_path, load_config(config_path), check_files=False,
                             strict=False)
    chosen = [e for e in manifest.episodes if slug in (None, e.slug)]
    if not chosen:
        known = ", ".join(e.slug for e in manifest.episodes) or "none valid"
        problems = "; ".join(str(p) for p in manifest.problems)
        wanted = f"no episode {slug!r}" if slug else "no valid episode"
        raise ManifestError(f"{wanted} (known: {known})"
                            + (f"; problems: {problems}" if problems else ""), manifest_path)
    for problem in manifest.problems:
        echo_err(f"warning: {problem}")
    fmt: Literal["text", "html"] = "html" if as_html else "text"
    for index, episode in enumerate(chosen):
        if len(chosen) > 1:
            if index:
                click.echo("")
            click.echo(f"<!-- {episode.slug} -->" if as_html else f"== {episode.slug} ==")
        click.echo(render_shownotes(episode.meta, manifest.config, fmt), nl=False)
