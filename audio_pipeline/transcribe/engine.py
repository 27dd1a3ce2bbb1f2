"""openai-whisper behind the Transcriber protocol (transcribe.protocol)."""

from __future__ import annotations

import copy
import threading
from typing import Any

import numpy as np

from audio_pipeline.align.verify import SpanScorer
from audio_pipeline.errors import ModelError, TranscribeError
from audio_pipeline.transcribe.models import DEFAULT_MODEL, ResolvedModel, resolve_model
from audio_pipeline.transcribe.rescue import RESCUE_BEAM, decodes_well, rescue_lost_speech
from audio_pipeline.transcribe.sources import MULTILINGUAL_FALLBACK, missing_multilingual
from audio_pipeline.transcribe.whisper_input import (
    CHUNK_SECONDS,
    WHISPER_RATE,
    iter_pieces,
    join_pieces,
    padded,
    to_whisper_input,
)
from audio_pipeline.types import Audio, Segment, Transcript, Word

DETECT_SECONDS = 30.0  # one Whisper window: what its language detection reads

# numba compiles whisper's DTW on first use and, starting its OpenMP layer, resets
# torch's thread count; doing it once up front keeps the count we set afterwards.
_numba_lock = threading.Lock()
_numba_ready = False


def _warm_numba() -> None:
    global _numba_ready
    with _numba_lock:
        if _numba_ready:
            return
        import torch
        from whisper.timing import dtw_cpu

        before = torch.get_num_threads()
        dtw_cpu(np.zeros((2, 2), dtype=np.float32))
        torch.set_num_threads(before)
        _numba_ready = True


def _set_threads(threads: int) -> None:
    import numba
    import torch

    # numba first: starting its OpenMP layer is what moves torch's count.
    limit = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
    numba.set_num_threads(max(1, min(threads, limit)))
    torch.set_num_threads(threads)


class WhisperTranscriber:
    """openai-whisper with word timestamps; the model loads on first use, once.

    ``condition_on_previous_text`` is off: a narration is long, and feeding each
    window's text into the next lets one hallucination or repetition loop spread
    through the rest of the episode. The aligner wants every window heard afresh.
    """

    engine = "openai-whisper"
    vad = False  # silence skipping is the faster-whisper engine's (transcribe.fast)

    def __init__(
        self,
        model_spec: str | None = DEFAULT_MODEL,
        *,
        language: str | None = None,
        beam_size: int | None = None,
        threads: int | None = None,
        chunk_seconds: float = CHUNK_SECONDS,
        device: str | None = None,
        allow_download: bool = False,
    ):
        if beam_size is not None and beam_size < 1:
            raise ValueError("beam_size must be at least 1")
        if threads is not None and threads < 1:
            raise ValueError("threads must be at least 1")
        self.model_spec = model_spec
        self.language = language
        self.beam_size = beam_size
        self.threads = threads
        self.chunk_seconds = chunk_seconds  # longest piece transcribed at once
        self.device = device
        self.allow_download = allow_download
        self._resolved: ResolvedModel | None = None
        self._model: Any = None
        self._lock = threading.Lock()
        self._fallback: WhisperTranscriber | None = None  # multilingual twin, loaded once

    def __getstate__(self) -> dict[str, Any]:
        # Batch workers receive the settings, not a loaded model or a lock.
        state = self.__dict__.copy()
        state.update(_model=None, _lock=None, _fallback=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return self.resolved.name

    @property
    def resolved(self) -> ResolvedModel:
        if self._resolved is None:
            self._resolved = resolve_model(self.model_spec, allow_download=self.allow_download)
        return self._resolved

    def _device(self) -> str:
        if self.device is not None:
            return self.device
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    def cores_busy(self) -> int:
        """The CPU cores transcription keeps busy: none on a GPU, else its threads."""
        from audio_pipeline.background import usable_cores

        return 0 if self._device().startswith("cuda") else self.threads or usable_cores()

    def load(self) -> Any:
        """The whisper.model.Whisper instance (loads it on first call)."""
        with self._lock:
            if self._model is None:
                if self.threads is not None:
                    _set_threads(self.threads)
                model = self.resolved.load(self._device())
                if not model.is_multilingual and self.language not in (None, "en"):
                    raise ModelError(
                        f"model {self.resolved.name} is English-only; "
                        f"it cannot transcribe language {self.language!r}"
                    )
                self._model = model
            return self._model

    @property
    def multilingual(self) -> bool:
        """Whether the model knows languages other than English (loads it)."""
        return bool(self.load().is_multilingual)

    def for_language(self, language: str) -> WhisperTranscriber:
        """This transcriber set to ``language``, sharing the loaded model; an English-only
        model hands a non-English language to the bundled multilingual model instead.

        Raises ModelError (saying what to install) when no multilingual model is here.
        """
        language = language.split("-")[0].lower()
        if language == self.language:
            return self
        if language != "en" and not self.multilingual:
            return self._multilingual_twin().for_language(language)
        twin = copy.copy(self)  # shares _model and _lock: one model, one caller at a time
        twin.language = language
        twin._fallback = None
        return twin

    def _multilingual_twin(self) -> WhisperTranscriber:
        if self._fallback is None:
            fallback = WhisperTranscriber(
                MULTILINGUAL_FALLBACK, beam_size=self.beam_size, threads=self.threads,
                chunk_seconds=self.chunk_seconds,
                device=self.device,
            )
            try:
                fallback.load()
            except ModelError as exc:
                raise missing_multilingual(self.model_name, exc) from exc
            self._fallback = fallback
        return self._fallback

    def detect_language(self, audio: Audio) -> tuple[str, float] | None:
        """Whisper's own guess at the spoken language (first 30 s) and its probability.
        An English-only model cannot tell: it asks the bundled multilingual one, and
        gives None when that is not installed."""
        import whisper

        if not self.multilingual:
            try:
                return self._multilingual_twin().detect_language(audio)
            except ModelError:
                return None
        model = self.load()
        array = to_whisper_input(audio)[: int(DETECT_SECONDS * WHISPER_RATE)]
        if array.size == 0:
            return None
        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(array), model.dims.n_mels)
        try:
            with self._lock:
                _, probs = model.detect_language(mel.to(model.device))
        except Exception as exc:  # torch/whisper: any failure is this file's
            raise TranscribeError(f"Whisper language detection failed: {exc}", audio.path) from exc
        code = max(probs, key=probs.get)
        return str(code), float(probs[code])

    def _options(self, model: Any) -> dict[str, Any]:
        language = self.language if model.is_multilingual else "en"
        options: dict[str, Any] = {
            "language": language,
            # never "translate": a French narration is published in French
            "task": "transcribe",
            "word_timestamps": True,
            "condition_on_previous_text": False,
            "fp16": self._device().startswith("cuda"),
            "verbose": None,  # whisper prints nothing, not even a progress bar
        }
        if self.beam_size is not None and self.beam_size > 1:
            options["beam_size"] = self.beam_size
        return options

    def span_scorer(self, audio: Audio) -> SpanScorer:
        """This model as a scorer of ``audio`` (align.verify): for checking issues."""
        from audio_pipeline.transcribe.scoring import WhisperSpanScorer

        model = self.load()
        language = self.language if model.is_multilingual and self.language else "en"
        return WhisperSpanScorer(model, to_whisper_input(audio), language)

    def transcribe(self, audio: Audio) -> Transcript:
        model = self.load()
        array = to_whisper_input(audio)
        if array.size == 0:
            return Transcript((), self.language or "en", self.model_name, audio.duration)
        pieces: list[tuple[float, Transcript]] = []
        try:
            _warm_numba()
            if self.threads is not None:
                _set_threads(self.threads)
            # long recordings in pieces: see chunk_bounds
            for offset, piece, length in iter_pieces(array, self.chunk_seconds, audio.duration):
                result = model.transcribe(piece, **self._options(model))
                heard = _to_transcript(result, self.model_name, length)
                heard = rescue_lost_speech(heard, piece, WHISPER_RATE, length,
                                           lambda clip, n: self._redecode(model, clip, n))
                pieces.append((offset, heard))
        except Exception as exc:  # torch/whisper/numba: any failure is this file's
            raise TranscribeError(f"Whisper failed: {exc}", audio.path) from exc
        return join_pieces(pieces, self.model_name, audio.duration)

    def _redecode(self, model: Any, clip: np.ndarray, length: float) -> Transcript:
        """A stretch Whisper dropped, decoded again: see transcribe.rescue."""
        beam = max(RESCUE_BEAM, self.beam_size or 1)
        options = {**self._options(model), "beam_size": beam, "temperature": 0.0,
                   "no_speech_threshold": None, "logprob_threshold": None,
                   "compression_ratio_threshold": None}
        result = model.transcribe(padded(clip), **options)
        result["segments"] = [seg for seg in result.get("segments", ())
                              if decodes_well(seg["avg_logprob"], seg["compression_ratio"])]
        return _to_transcript(result, self.model_name, length)


def _to_transcript(result: dict[str, Any], model: str, duration: float) -> Transcript:
    def clip(t: Any) -> float:  # the padding is not the recording's
        return min(float(t), duration) if duration > 0 else float(t)

    segments: list[Segment] = []
    for seg in result.get("segments", ()):
        words = tuple(
            Word(
                text=str(w["word"]).strip(),
                start=clip(w["start"]),
                end=clip(w["end"]),
                probability=float(w.get("probability", 1.0)),
            )
            for w in seg.get("words", ())
            if str(w["word"]).strip() and (duration <= 0 or float(w["start"]) < duration)
        )
        if not words and seg.get("words") and duration > 0 and float(seg["start"]) >= duration:
            continue  # a segment Whisper placed in the padding alone: not in the recording
        segments.append(
            Segment(
                id=len(segments),
                start=clip(seg["start"]),
                end=clip(seg["end"]),
                text=str(seg["text"]).strip(),
                words=words,
            )
        )
    return Transcript(tuple(segments), str(result.get("language") or "en"), model, duration)
