"""The command line: Click only. Parse options, call the library, map errors to one line.

Heavy modules (whisper, torch, numpy, mutagen) are imported inside commands, through
the library, so `--help` stays instant and this file holds no logic of its own.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .errors import PipelineError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FAILED = 1
EXIT_USAGE = 2


def _echo_err(text: str) -> None:
    click.echo(text, err=True)


def handle_errors(fn: F) -> F:
    """One line on stderr and a non-zero exit, never a traceback (unless --debug)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PipelineError as exc:
            _echo_err(f"error: {exc.one_line()}")
            sys.exit(EXIT_FAILED)
        except KeyboardInterrupt:
            _echo_err("interrupted")
            sys.exit(130)
        except (click.ClickException, click.exceptions.Exit, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - the user gets one line, developers --debug
            if os.environ.get("AUDIO_PIPELINE_DEBUG"):
                raise
            _echo_err(
                f"error: unexpected {type(exc).__name__}: {exc} "
                "(set AUDIO_PIPELINE_DEBUG=1 for a traceback)"
            )
            sys.exit(EXIT_FAILED)

    return wrapper  # type: ignore[return-value]


def config_option(fn: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Podcast config TOML (default: $AUDIO_PIPELINE_CONFIG or config/podcast.toml).",
    )(fn)


def metadata_options(fn: F) -> F:
    """The episode metadata flags shared by `process` and `tag`."""
    options = [
        click.option("--title", default=None, help="Episode title."),
        click.option("--author", "authors", multiple=True, help="An author (repeat for more)."),
        click.option("--narrator", default=None, help="Narrator (default from the config)."),
        click.option("--source-url", default=None, help="URL of the original text (http/https)."),
        click.option("--summary", default=None, help="The episode's written summary."),
        click.option("--episode-number", type=int, default=None, help="Episode number."),
        click.option("--season", type=int, default=None, help="Season number."),
        click.option("--date", default=None, help="Publication date, YYYY-MM-DD."),
        click.option(
            "--cover",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="Cover image, JPEG or PNG.",
        ),
        click.option("--id3v2.3", "id3v23", is_flag=True, help="Write ID3v2.3 for older players."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _meta_kwargs(kw: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "title",
        "authors",
        "narrator",
        "source_url",
        "summary",
        "episode_number",
        "season",
        "date",
        "cover",
    )
    # Unset flags stay None so the config's defaults (e.g. the narrator) apply.
    return {k: kw[k] for k in keys if kw.get(k) not in (None, ())}


def _progress(slug: str, stage: str) -> None:
    _echo_err(f"[{slug}] {stage}...")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="audio-pipeline")
def cli() -> None:
    """Turn a narrator's recording of an article into finished podcast episode assets."""


@cli.command()
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
@click.option(
    "--preset", default=None, help="Loudness preset (podcast, podcast-mono, ebu-r128, streaming)."
)
@click.option("--target", type=float, default=None, help="Integrated loudness target, LUFS.")
@click.option("--true-peak", type=float, default=None, help="True-peak ceiling, dBTP.")
@click.option("--no-cache", is_flag=True, help="Transcribe again even if cached.")
@handle_errors
def process(
    audio: Path,
    out_dir: Path,
    source: Path | None,
    slug: str | None,
    config_path: Path | None,
    model: str | None,
    allow_download: bool,
    preset: str | None,
    target: float | None,
    true_peak: float | None,
    no_cache: bool,
    id3v23: bool,
    **meta: Any,
) -> None:
    """Run every stage on one episode: transcribe, align, normalize, encode, tag, publish."""
    from .cache import TranscriptCache
    from .config import build_episode, load_config, with_overrides
    from .pipeline import episode_verdict, make_transcriber, process_episode

    config = with_overrides(
        load_config(config_path),
        model=model,
        loudness_preset=preset,
        target_lufs=target,
        true_peak=true_peak,
        id3_version=3 if id3v23 else None,
    )
    episode = build_episode(audio, config, source=source, slug=slug, **_meta_kwargs(meta))
    transcriber = make_transcriber(config, allow_download=allow_download)
    cache = None if no_cache else TranscriptCache()
    result = process_episode(
        episode, config, out_dir, transcriber=transcriber, cache=cache, on_stage=_progress
    )
    for warning in result.warnings:
        _echo_err(f"warning: {warning}")
    if result.loudness is not None and result.loudness.output is not None:
        out = result.loudness.output
        _echo_err(
            f"loudness: {out.integrated:.1f} LUFS, true peak {out.true_peak:.1f} dBTP "
            f"(target {result.loudness.target:g}, ceiling {result.loudness.ceiling:g})"
        )
    _echo_err(episode_verdict(result))
    folder = result.outputs["mp3"].parent
    click.echo(f"outputs: {folder}")


@cli.group()
def models() -> None:
    """List the Whisper models available offline, or export one."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def models_list(as_json: bool) -> None:
    """Show bundled, cached and downloadable models."""
    from dataclasses import asdict

    from .transcribe import list_models

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
    from .transcribe import export_model

    click.echo(f"wrote {export_model(name, dest, allow_download=allow_download)}")


@models.command("prepare")
@click.argument("name", default="tiny.en")
@click.option("--allow-download", is_flag=True, help="Let Whisper download a named model.")
@handle_errors
def models_prepare(name: str, allow_download: bool) -> None:
    """Convert (or download) NAME into the cache now, so the first episode starts at once."""
    from .transcribe import resolve_model

    resolved = resolve_model(name, allow_download=allow_download)
    click.echo(f"{resolved.name}: {resolved.checkpoint or 'in the whisper cache'}")


def print_table(headers: list[str], rows: list[list[str]], title: str | None = None) -> None:
    """A table on a terminal, plain tab-separated text otherwise."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        click.echo("\t".join(headers))
        for row in rows:
            click.echo("\t".join(row))
        return
    table = Table(title=title)
    for header in headers:
        table.add_column(header)
    for row in rows:
        table.add_row(*row)
    console.print(table)


def main() -> None:
    cli(prog_name="audio-pipeline")


# Registering the other commands on `cli`: batch and shownotes; loudness, tag, inspect.
from . import cli_batch, cli_tools  # noqa: E402,F401

if __name__ == "__main__":
    main()
