"""What every command shares: exit codes, the one mapping of errors to one line, the
shared options, and table output."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from audio_pipeline.errors import PipelineError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FAILED = 1
EXIT_USAGE = 2


def echo_err(text: str) -> None:
    click.echo(text, err=True)


def handle_errors(fn: F) -> F:
    """One line on stderr and a non-zero exit, never a traceback (unless --debug)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PipelineError as exc:
            if os.environ.get("AUDIO_PIPELINE_DEBUG"):
                raise
            echo_err(f"error: {exc.one_line()}")
            sys.exit(EXIT_FAILED)
        except KeyboardInterrupt:
            echo_err("interrupted")
            sys.exit(130)
        except (click.ClickException, click.exceptions.Exit, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - the user gets one line, developers --debug
            if os.environ.get("AUDIO_PIPELINE_DEBUG"):
                raise
            echo_err(
                f"error: unexpected {type(exc).__name__}: {exc} "
                "(run with --debug for a traceback)"
            )
            sys.exit(EXIT_FAILED)

    return wrapper  # type: ignore[return-value]


def config_option(fn: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Podcast config TOML (default: $AUDIO_PIPELINE_CONFIG, else the defaults "
        "shipped with the package; config/podcast.toml is a copy to start from).",
    )(fn)


def engine_options(fn: F) -> F:
    """--engine and --vad/--no-vad, shared by process and batch (None: the config's)."""
    fn = click.option(
        "--vad/--no-vad",
        default=None,
        help="faster-whisper: skip long silences with its bundled VAD (default: config, off).",
    )(fn)
    return click.option(
        "--engine",
        type=click.Choice(["openai-whisper", "faster-whisper"]),
        default=None,
        help="Speech recognizer (default: config, else openai-whisper; faster-whisper "
        "needs the `fast` extra).",
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


def meta_kwargs(kw: dict[str, Any]) -> dict[str, Any]:
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


def stage_line(slug: str, stage: str) -> None:
    echo_err(f"[{slug}] {stage}...")


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
