"""The command line: Click only. Parse options, call the library, map errors to one line.

Each command group lives in its own module; this one makes the ``cli`` group and adds
them. Heavy modules (whisper, torch, numpy, mutagen) are imported inside commands,
through the library, so ``--help`` stays instant.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from audio_pipeline.cli.batch import batch, shownotes
from audio_pipeline.cli.check import check
from audio_pipeline.cli.edit import render
from audio_pipeline.cli.process import models, process
from audio_pipeline.cli.tools import inspect, loudness, tag


class OneLineGroup(click.Group):
    """Usage errors as one line too (``error: ... (see --help)``, exit 2): a build
    server's log gets one line per problem, the same shape as every other error."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("standalone_mode", True):
            return super().main(*args, **kwargs)
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.UsageError as exc:
            hint = f" (see {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
            click.echo(f"error: {' '.join(exc.format_message().split())}{hint}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"error: {' '.join(exc.format_message().split())}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=OneLineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="audio-pipeline")
@click.option("--debug", is_flag=True, help="Show the traceback of an error, not one line.")
def cli(debug: bool) -> None:
    """Turn a narrator's recording of an article into finished podcast episode assets."""
    if debug:  # read by handle_errors (cli/common.py), also in batch worker processes
        os.environ["AUDIO_PIPELINE_DEBUG"] = "1"


for command in (process, batch, shownotes, loudness, tag, inspect, models, check, render):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="audio-pipeline")


if __name__ == "__main__":
    main()
