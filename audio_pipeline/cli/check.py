"""`audio-pipeline check FILE...`: the audio checks alone, to gate uploads (Click only)."""

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
    print_table,
)
from audio_pipeline.errors import PipelineError


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--profile", default=None, help="Check profile: podcast or acx (default: config).")
@click.option("--source", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The article: adds the speaking rate against its word count.")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def check(files: tuple[Path, ...], profile: str | None, source: Path | None,
          config_path: Path | None, as_json: bool) -> None:
    """Check recordings or finished MP3s as a mastering engineer would, without
    transcribing: noise floor, hum, room tone at edits, clipping, DC, head and tail,
    dead air, channels, level. Exit 1 when a check fails."""
    from audio_pipeline.metadata.config import load_config
    from audio_pipeline.qc import (
        article_words,
        check_file,
        failed,
        probe_format,
        profile_for,
        shown,
    )

    config = load_config(config_path)
    chosen = profile_for(config, profile)
    words = article_words(source) if source is not None else None
    docs: list[dict[str, Any]] = []
    rows: list[list[str]] = []
    bad = False
    for path in files:
        try:
            fmt = probe_format(path)
            checks = (fmt.report(), *check_file(path, chosen, article_words=words))
        except PipelineError as exc:
            echo_err(f"error: {exc.one_line()}")
            bad = True
            continue
        bad = bad or bool(failed(checks))
        docs.append({"file": str(path), "profile": chosen.name, "ok": not failed(checks),
                     "checks": [{"name": c.name, "status": c.status, "value": c.value,
                                 "unit": c.unit, "limit": c.limit, "detail": c.detail,
                                 "times": [round(t, 3) for t in c.times]} for c in checks]})
        for c in checks:
            times = " ".join(f"{t:.1f}" for t in c.times[:6])
            rows.append([path.name, c.name, c.status.upper() if c.status == "fail"
                         else c.status, shown(c), c.limit, c.detail + (f" @ {times}" if times
                                                                      else "")])
    if as_json:
        click.echo(json.dumps(docs, indent=2, default=lambda v: None))
    elif rows:
        print_table(["file", "check", "status", "value", "limit", "detail"], rows,
                    title=f"audio checks ({chosen.name})")
    if bad:
        sys.exit(EXIT_FAILED)
