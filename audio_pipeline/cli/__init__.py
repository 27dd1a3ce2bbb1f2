"""The command line: Click only. Parse options, call the library, map errors to one line.

Each command group lives in its own module; this one makes the ``cli`` group and adds
them. Heavy modules (whisper, torch, numpy, mutagen) are imported inside commands,
through the library, so ``--help`` stays instant.
"""

from __future__ import annotations

import click

from audio_pipeline.cli.batch import batch, shownotes
from audio_pipeline.cli.check import check
from audio_pipeline.cli.edit import render
from audio_pipeline.cli.process import models, process
from audio_pipeline.cli.tools import inspect, loudness, tag


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="audio-pipeline")
def cli() -> None:
    """Turn a narrator's recording of an article into finished podcast episode assets."""


for command in (process, batch, shownotes, loudness, tag, inspect, models, check, render):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="audio-pipeline")


if __name__ == "__main__":
    main()
