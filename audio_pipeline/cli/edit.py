"""The `render` command: the edited episode again from a hand-changed edit list."""

from __future__ import annotations

from pathlib import Path

import click

from audio_pipeline.cli.common import config_option, echo_err, handle_errors


@click.command()
@click.argument("episode_dir", type=click.Path(file_okay=False, path_type=Path))
@config_option
@handle_errors
def render(episode_dir: Path, config_path: Path | None) -> None:
    """Render EPISODE_DIR's <slug>.edited.mp3 and its captions from <slug>.edits.json.

    Edit the JSON first (remove a cut, add one with reason "manual", change a pause's
    "keep"); nothing is transcribed again, and the recording is read, never changed.
    """
    from audio_pipeline.metadata.config import load_config
    from audio_pipeline.publish.edited import rerender_folder

    outputs, edits = rerender_folder(episode_dir, load_config(config_path))
    echo_err(f"{len(edits.cuts)} cut(s), {edits.removed:.1f} s removed")
    click.echo(f"edited: {outputs['edited_mp3']}")
