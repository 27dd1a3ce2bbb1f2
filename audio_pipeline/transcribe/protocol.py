"""What the pipeline needs of a speech recognizer, whatever engine runs it."""

from __future__ import annotations

from typing import Protocol

from audio_pipeline.types import Audio, Transcript


class Transcriber(Protocol):
    """Turns decoded audio into a timed transcript (words with start, end, probability).

    ``model_name``, ``language`` and ``beam_size`` identify the output for the
    transcript cache: two transcribers that agree on them give the same transcript.
    A static contract (not runtime-checkable): an isinstance check would read
    ``model_name``, which resolves (and may convert) the model.
    """

    @property
    def model_name(self) -> str: ...

    @property
    def language(self) -> str | None: ...

    @property
    def beam_size(self) -> int | None: ...

    def transcribe(self, audio: Audio) -> Transcript: ...
