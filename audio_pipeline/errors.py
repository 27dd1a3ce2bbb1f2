"""Typed errors. Every failure the user can cause carries the stage and the file.

The CLI maps ``PipelineError`` to one line and an exit code; nothing below the CLI
prints or exits.
"""

from __future__ import annotations

from pathlib import Path


class PipelineError(Exception):
    """A failure the user can act on: which stage, which file, what went wrong."""

    stage = "pipeline"

    def __init__(self, message: str, path: str | Path | None = None, stage: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        if stage is not None:
            self.stage = stage

    def one_line(self) -> str:
        where = f"{self.path}: " if self.path is not None else ""
        text = " ".join(self.message.split())
        return f"{where}{text} [{self.stage}]"

    def __str__(self) -> str:
        return self.one_line()

    def __reduce__(self):  # keep stage/path across process boundaries (batch workers)
        return (_rebuild, (type(self), self.message, self.path, self.stage))


def _rebuild(
    cls: type[PipelineError], message: str, path: Path | None, stage: str
) -> PipelineError:
    err = cls.__new__(cls)
    PipelineError.__init__(err, message, path, stage)
    return err


class ConfigError(PipelineError):
    stage = "config"


class ManifestError(PipelineError):
    stage = "manifest"


class MediaError(PipelineError):
    """Audio that cannot be decoded or encoded."""

    stage = "media"


class ModelError(PipelineError):
    """A Whisper model that cannot be found, converted or loaded."""

    stage = "model"


class TranscribeError(PipelineError):
    stage = "transcribe"


class SourceError(PipelineError):
    stage = "source"


class AlignError(PipelineError):
    stage = "align"


class LoudnessError(PipelineError):
    stage = "loudness"


class TagError(PipelineError):
    stage = "tags"


class ShowNotesError(PipelineError):
    stage = "shownotes"


class EditError(PipelineError):
    stage = "edit"


class OutputError(PipelineError):
    stage = "output"


class BatchError(PipelineError):
    stage = "batch"
