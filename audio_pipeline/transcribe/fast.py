"""faster-whisper (CTranslate2) behind the Transcriber protocol (transcribe.protocol).

The bundled models already are CTranslate2 directories, so faster-whisper runs them as
they ship: float32 on a CPU (int8 on request), float16 on a GPU. Its output becomes the
same ``Transcript`` the openai-whisper engine gives (same decoding settings: greedy unless
a beam is asked for, no conditioning on the previous window, 1 s of tail padding, times
clipped to the recording), so nothing downstream can tell the engines apart.

CTranslate2 has no teacher-forced scoring of a given text, which the narration checks
need (align.verify); ``span_scorer`` therefore hands out the openai-whisper scorer on
the same weights (converted once, cached), loaded only when a check is first asked for.
"""

from __future__ import annotations

import copy
import hashlib
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np

from audio_pipeline import fsutil
from audio_pipeline.errors import ModelError, TranscribeError
from audio_pipeline.transcribe.rescue import RESCUE_BEAM, decodes_well, rescue_lost_speech
from audio_pipeline.transcribe.sources import (
    DEFAULT_MODEL,
    MULTILINGUAL_FALLBACK,
    bundled_source,
    cache_dir,
    missing_multilingual,
)
from audio_pipeline.transcribe.whisper_input import (
    CHUNK_SECONDS,
    WHISPER_RATE,
    iter_pieces,
    join_pieces,
    padded,
    to_whisper_input,
)
from audio_pipeline.types import Audio, Segment, Transcript, Word

DETECT_SECONDS = 30.0  # one Whisper window: what language detection reads

ENGINE = "faster-whisper"
# What faster-whisper reads from a model directory without going to the network:
# model.bin and config.json for CTranslate2, tokenizer.json for the text (without it,
# faster-whisper would fetch one from the Hugging Face hub).
NEEDED_FILES = ("model.bin", "config.json", "tokenizer.json")


def ct2_directory(spec: str | None) -> tuple[str, Path]:
    """(name, CTranslate2 directory) for a bundled name or a CTranslate2 folder.

    A model cut in parts (``base`` ships as two packages) is joined once into the cache,
    since CTranslate2 reads a single model.bin.
    """
    name = (spec or "").strip() or DEFAULT_MODEL
    source = bundled_source(name)
    if source is not None:
        if source.parts == (source.directory / "model.bin",):
            directory = source.directory
        else:
            directory = _joined(name, source.directory, source.parts)
    else:
        directory = Path(name).expanduser()
        if directory.is_file() and directory.name == "model.bin":
            directory = directory.parent
        if not directory.is_dir():
            raise ModelError(
                f"the {ENGINE} engine needs a bundled model name or a CTranslate2 model "
                "folder (a .pt checkpoint or an official Whisper name runs with "
                "--engine openai-whisper)",
                directory,
            )
        name = str(directory)
    missing = [f for f in NEEDED_FILES if not (directory / f).is_file()]
    if missing:
        raise ModelError(
            f"not a complete CTranslate2 Whisper model for {ENGINE} (missing "
            f"{', '.join(missing)})",
            directory,
        )
    return name, directory


def _joined(name: str, directory: Path, parts: tuple[Path, ...]) -> Path:
    ident = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in parts]
    key = hashlib.sha256(repr(ident).encode()).hexdigest()[:16]
    dest = cache_dir() / f"{name}-{key}-ct2"
    if (dest / "model.bin").is_file():
        return dest
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for extra in directory.iterdir():
            if extra.is_file() and not extra.name.startswith("model.bin"):
                shutil.copyfile(extra, dest / extra.name)
        with fsutil.atomic_path(dest / "model.bin") as tmp, open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 16 << 20)
    except OSError as exc:
        raise ModelError(f"cannot assemble the model for {ENGINE}: {exc}", dest) from exc
    return dest


def cuda_available() -> bool:
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except Exception:  # noqa: BLE001 - a CPU-only build, or no driver: no GPU
        return False


class FasterWhisperTranscriber:
    """faster-whisper with word timestamps; the model loads on first use, once."""

    engine = ENGINE

    def __init__(
        self,
        model_spec: str | None = DEFAULT_MODEL,
        *,
        language: str | None = None,
        beam_size: int | None = None,
        threads: int | None = None,
        chunk_seconds: float = CHUNK_SECONDS,
        device: str | None = None,
        compute_type: str | None = None,
        vad: bool = False,
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
        self.compute_type = compute_type
        self.vad = vad
        self.allow_download = allow_download
        self._name: str | None = None
        self._model: Any = None
        self._scoring: Any = None  # engine.WhisperTranscriber, made for the first check
        self._lock = threading.Lock()
        self._fallback: FasterWhisperTranscriber | None = None  # multilingual, for others

    def __getstate__(self) -> dict[str, Any]:
        # Batch workers receive the settings, not a loaded model or a lock.
        state = self.__dict__.copy()
        state.update(_model=None, _scoring=None, _lock=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        if self._name is None:
            self._name = ct2_directory(self.model_spec)[0]
        return self._name

    def _device(self) -> str:
        if self.device is not None:
            return self.device
        return "cuda" if cuda_available() else "cpu"

    def cores_busy(self) -> int:
        """The CPU cores transcription keeps busy: none on a GPU, else its threads."""
        return 0 if self._device().startswith("cuda") else self.threads or default_threads()

    def _compute_type(self, device: str) -> str:
        if self.compute_type is not None:
            return self.compute_type
        # A GPU runs float16. On a CPU, int8 is CTranslate2's fastest path, but with
        # tiny.en it misheard words that float32 (and openai-whisper) got right in two of
        # our three test narrations, and the narration report then flagged a false skip:
        # float32, still several times faster than openai-whisper, is the default.
        return "float16" if device.startswith("cuda") else "float32"

    def load(self) -> Any:
        """The faster_whisper.WhisperModel (loads it on first call)."""
        with self._lock:
            if self._model is None:
                name, directory = ct2_directory(self.model_spec)
                self._name = name
                try:
                    from faster_whisper import WhisperModel
                except ImportError as exc:
                    raise ModelError(
                        f"the {ENGINE} engine needs its extra: pip install "
                        "'audio-pipeline[fast]'"
                    ) from exc
                device = self._device()
                index = 0
                if ":" in device:
                    device, _, number = device.partition(":")
                    index = int(number)
                try:
                    model = WhisperModel(
                        str(directory),
                        device=device,
                        device_index=index,
                        compute_type=self._compute_type(device),
                        # faster-whisper's own default is 4 threads, whatever the cores
                        cpu_threads=self.threads or default_threads(),
                        local_files_only=True,
                    )
                except Exception as exc:  # ctranslate2 raises RuntimeError/ValueError
                    raise ModelError(f"cannot load model with {ENGINE}: {exc}", directory) from exc
                if not model.model.is_multilingual and self.language not in (None, "en"):
                    raise ModelError(
                        f"model {name} is English-only; "
                        f"it cannot transcribe language {self.language!r}"
                    )
                self._model = model
            return self._model

    def _options(self, model: Any) -> dict[str, Any]:
        multilingual = model.model.is_multilingual
        return {
            "language": (self.language or None) if multilingual else "en",
            "task": "transcribe",  # never "translate": a French narration stays French
            # faster-whisper's default is a beam of 5; the reference engine is greedy
            # unless a beam is asked for, and so is this one.
            "beam_size": self.beam_size or 1,
            "best_of": 1,
            "word_timestamps": True,
            "condition_on_previous_text": False,
            "vad_filter": self.vad,
        }

    @property
    def multilingual(self) -> bool:
        """Whether the model knows languages other than English (loads it)."""
        return bool(self.load().model.is_multilingual)

    def for_language(self, language: str) -> FasterWhisperTranscriber:
        """Set to ``language``, sharing the loaded model (and the scorer's); an English-only
        model hands another language to the bundled multilingual one (engine.py does the
        same for openai-whisper). Raises ModelError when that is not installed."""
        language = language.split("-")[0].lower()
        if language == self.language:
            return self
        if language != "en" and not self.multilingual:
            return self._multilingual_twin().for_language(language)
        twin = copy.copy(self)  # shares _model and _lock: one model, one caller at a time
        twin.language, twin._fallback = language, None
        if self._scoring is not None:
            twin._scoring = self._scoring.for_language(language)
        return twin

    def _multilingual_twin(self) -> FasterWhisperTranscriber:
        if self._fallback is None:
            fallback = FasterWhisperTranscriber(
                MULTILINGUAL_FALLBACK, beam_size=self.beam_size, threads=self.threads,
                chunk_seconds=self.chunk_seconds,
                device=self.device, compute_type=self.compute_type, vad=self.vad)
            try:
                fallback.load()
            except ModelError as exc:
                raise missing_multilingual(self.model_name, exc) from exc
            self._fallback = fallback
        return self._fallback

    def detect_language(self, audio: Audio) -> tuple[str, float] | None:
        """faster-whisper's guess at the spoken language (first 30 s) and its probability;
        an English-only model asks the bundled multilingual one (None when missing)."""
        if not self.multilingual:
            try:
                return self._multilingual_twin().detect_language(audio)
            except ModelError:
                return None
        array = to_whisper_input(audio)[: int(DETECT_SECONDS * WHISPER_RATE)]
        if array.size == 0:
            return None
        model = self.load()  # takes the lock itself: not inside it
        try:
            with self._lock:
                code, probability, _ = model.detect_language(audio=array)
        except Exception as exc:  # ctranslate2: any failure is this file's
            raise TranscribeError(f"{ENGINE} language detection failed: {exc}", audio.path) from exc
        return str(code), float(probability)

    def transcribe(self, audio: Audio) -> Transcript:
        model = self.load()
        array = to_whisper_input(audio)
        if array.size == 0:
            return Transcript((), self.language or "en", self.model_name, audio.duration)
        pieces: list[tuple[float, Transcript]] = []
        try:
            # long recordings in pieces: see chunk_bounds
            for offset, piece, length in iter_pieces(array, self.chunk_seconds, audio.duration):
                segments, info = model.transcribe(piece, **self._options(model))
                language = info.language or "en"
                heard = rows_to_transcript(_rows(segments), language, self.model_name, length)
                heard = rescue_lost_speech(heard, piece, WHISPER_RATE, length,
                                           lambda clip, n: self._redecode(model, clip, n))
                pieces.append((offset, heard))
        except Exception as exc:  # ctranslate2/onnxruntime: any failure is this file's
            raise TranscribeError(f"{ENGINE} failed: {exc}", audio.path) from exc
        return join_pieces(pieces, self.model_name, audio.duration)

    def _redecode(self, model: Any, clip: np.ndarray, length: float) -> Transcript:
        """A stretch Whisper dropped, decoded again: see transcribe.rescue."""
        options = {**self._options(model), "beam_size": max(RESCUE_BEAM, self.beam_size or 1),
                   "temperature": 0.0, "no_speech_threshold": None,
                   "log_prob_threshold": None, "compression_ratio_threshold": None}
        segments, info = model.transcribe(padded(clip), **options)
        kept = [s for s in segments if decodes_well(s.avg_logprob, s.compression_ratio)]
        return rows_to_transcript(_rows(kept), info.language or "en", self.model_name, length)

    def span_scorer(self, audio: Audio) -> Any:
        """The openai-whisper scorer on the same weights, for checking issues: see the
        module docstring. The model loads at the first check, not here."""
        from audio_pipeline.transcribe.engine import WhisperTranscriber  # torch: only now

        with self._lock:
            if self._scoring is None:
                self._scoring = WhisperTranscriber(
                    self.model_spec,
                    language=self.language,
                    threads=self.threads, chunk_seconds=self.chunk_seconds,
                    device=self.device,
                    allow_download=False,
                )
        return LazyScorer(self._scoring, audio)


class LazyScorer:
    """A SpanScorer that builds the real one at its first call: an episode with no
    candidate issue never loads the scoring model."""

    def __init__(self, engine: Any, audio: Audio):
        self._engine = engine
        self._audio = audio
        self._inner: Any = None
        self.lock: Any = None  # set by batch.worker.SerializedTranscriber: one model at a time

    def __call__(self, window: Any, article: str, heard: str,
                 head: int | None = None, acoustic: bool = False) -> float:
        if self._inner is None:
            self._inner = self._engine.span_scorer(self._audio)
            if self.lock is not None:
                self._inner.lock = self.lock
        return float(self._inner(window, article, heard, head=head, acoustic=acoustic))


def _rows(segments: Any) -> list[tuple[float, float, str, list[tuple[str, float, float, float]]]]:
    """faster-whisper's segments as (start, end, text, words) rows; ``segments`` may be
    its generator, which decodes while it is consumed."""
    return [(s.start, s.end, s.text, [(w.word, w.start, w.end, w.probability)
                                      for w in (s.words or ())]) for s in segments]


def rows_to_transcript(
    rows: list[tuple[float, float, str, list[tuple[str, float, float, float]]]],
    language: str,
    model: str,
    duration: float,
) -> Transcript:
    """faster-whisper's (start, end, text, words) rows as the Transcript that engine.py
    makes of openai-whisper's result."""

    def clip(t: float) -> float:  # the padding is not the recording's
        return min(float(t), duration) if duration > 0 else float(t)

    segments: list[Segment] = []
    for start, end, text, words in rows:
        kept = tuple(
            Word(text=w.strip(), start=clip(ws), end=clip(we), probability=float(p))
            for w, ws, we, p in words
            if w.strip() and (duration <= 0 or float(ws) < duration)
        )
        if not kept and words and duration > 0 and float(start) >= duration:
            continue  # a segment placed in the padding alone: not in the recording
        segments.append(
            Segment(id=len(segments), start=clip(start), end=clip(end), text=text.strip(),
                    words=kept)
        )
    return Transcript(tuple(segments), language, model, duration)


def default_threads() -> int:
    """The cores this process may use (CTranslate2's 0 means the same, but say it)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:
        return os.cpu_count() or 1
