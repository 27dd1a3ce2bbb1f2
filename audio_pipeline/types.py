"""Frozen dataclasses that flow between the stages.

Episode -> Audio -> Transcript -> SourceText -> Alignment -> LoudnessReport -> EpisodeResult
-> EpisodeSummary (the one JSON contract of result.json and of each batch-report row).
Times are seconds from the start of the audio as decoded (float).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np

from audio_pipeline.formatting import finite

# --------------------------------------------------------------------------- metadata


@dataclass(frozen=True)
class EpisodeMeta:
    """What a podcast app shows about an episode. Empty strings mean 'not given'."""

    title: str = ""
    authors: tuple[str, ...] = ()
    narrator: str = ""
    source_url: str = ""
    summary: str = ""
    podcast: str = ""
    publisher: str = ""
    production_company: str = ""
    episode_number: int | None = None
    season: int | None = None
    date: str = ""  # ISO 8601: YYYY, YYYY-MM or YYYY-MM-DD
    cover: Path | None = None
    language: str = "en"
    explicit: bool = False
    note: str = ""  # e.g. "Sections 3.1-3.4, 6.1-6.2"
    title_provisional: bool = False


@dataclass(frozen=True)
class Episode:
    """One episode to process: the recording, its metadata and the article it reads."""

    audio: Path | None  # None: no recording yet (a manifest imported from show notes)
    meta: EpisodeMeta
    slug: str
    source: Path | None = None  # article text: markdown, HTML or plain


@dataclass(frozen=True)
class ChapterMark:
    title: str
    start: float
    end: float


# --------------------------------------------------------------------------- audio


@dataclass(frozen=True, eq=False)
class Audio:
    """Decoded audio: float32 samples shaped (frames, channels), in [-1, 1] nominal."""

    samples: np.ndarray
    sample_rate: int
    path: Path | None = None

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1]) if self.samples.ndim == 2 else 1

    @property
    def frames(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration(self) -> float:
        return self.frames / float(self.sample_rate) if self.sample_rate else 0.0


# --------------------------------------------------------------------------- transcript


@dataclass(frozen=True)
class Word:
    text: str  # as Whisper wrote it, leading space stripped
    start: float
    end: float
    probability: float = 1.0


@dataclass(frozen=True)
class Segment:
    id: int
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Transcript:
    segments: tuple[Segment, ...]
    language: str
    model: str  # the model's name or path, for caching and reports
    duration: float = 0.0

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for s in self.segments for w in s.words)

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments).strip()


# --------------------------------------------------------------------------- source text


@dataclass(frozen=True)
class SourceWord:
    text: str  # as written in the article
    start_char: int  # offsets into SourceText.text
    end_char: int
    sentence: int  # index into SourceText.sentences
    spoken: tuple[str, ...] = ()  # normalized tokens as read aloud ("2022" -> twenty, twenty, two)


@dataclass(frozen=True)
class SourceSentence:
    index: int
    kind: Literal["heading", "sentence"]
    text: str
    start_char: int
    end_char: int
    first_word: int  # index into SourceText.words
    last_word: int  # inclusive; last_word < first_word for a sentence with no words
    heading_level: int = 0


@dataclass(frozen=True)
class SourceText:
    text: str  # the readable text that offsets point into
    sentences: tuple[SourceSentence, ...]
    words: tuple[SourceWord, ...]
    path: Path | None = None
    language: str = "en"  # ISO code the words were tokenized in (align.textnorm)

    @property
    def headings(self) -> tuple[SourceSentence, ...]:
        return tuple(s for s in self.sentences if s.kind == "heading")


# --------------------------------------------------------------------------- alignment

SentenceStatus = Literal["read", "partial", "skipped"]
IssueType = Literal[
    "skipped", "inserted", "repeated", "substituted", "long_pause", "intro", "outro"
]
MatchVerdict = Literal["ok", "partial", "mismatch"]


@dataclass(frozen=True)
class TimedWord:
    text: str  # the source word, in the article's spelling
    start: float | None
    end: float | None
    heard: str | None  # the transcript word matched to it, or None (skipped / interpolated)
    # not heard by Whisper, but the audio confirms it was read (align.confirm)
    confirmed: bool = False


@dataclass(frozen=True)
class TimedSentence:
    index: int
    kind: Literal["heading", "sentence"]
    text: str
    start: float | None
    end: float | None
    status: SentenceStatus


@dataclass(frozen=True)
class NarrationIssue:
    type: IssueType
    start: float
    end: float
    sentence: int | None
    expected: str
    heard: str
    confidence: float
    # the model's evidence (align.verify): per-token log-likelihood of the heard text
    # over the article's for this window; None when not checked against the audio
    llr: float | None = None


@dataclass(frozen=True)
class SummaryLocation:
    found: bool
    start: float | None = None
    end: float | None = None
    score: float = 0.0


@dataclass(frozen=True)
class Alignment:
    coverage: float
    match: MatchVerdict
    sentences: tuple[TimedSentence, ...]
    words: tuple[TimedWord, ...]
    issues: tuple[NarrationIssue, ...]
    summary: SummaryLocation
    chapters: tuple[ChapterMark, ...]

    def to_json(self) -> dict[str, Any]:
        """The `<slug>.alignment.json` document: exactly the documented keys."""
        def timed(item: Any) -> dict[str, Any]:
            return {**asdict(item), "start": _r(item.start), "end": _r(item.end)}

        return {
            "coverage": round(self.coverage, 4),
            "match": self.match,
            "sentences": [timed(s) for s in self.sentences],
            "words": [timed(w) for w in self.words],
            "issues": [{**timed(i), "confidence": round(i.confidence, 3)} for i in self.issues],
            "summary": {**timed(self.summary), "score": round(self.summary.score, 3)},
            "chapters": [timed(c) for c in self.chapters],
        }


def _r(value: float | None) -> float | None:
    return finite(value, 3)


# --------------------------------------------------------------------------- loudness


@dataclass(frozen=True)
class LoudnessMeasurement:
    integrated: float  # LUFS; -inf for silence
    lra: float  # LU (EBU Tech 3342)
    true_peak: float  # dBTP (4x oversampled)
    sample_peak: float  # dBFS
    short_term: tuple[float, ...] = ()  # LUFS, 3 s windows
    short_term_step: float = 1.0  # seconds between short-term values


@dataclass(frozen=True)
class LoudnessReport:
    input: LoudnessMeasurement
    output: LoudnessMeasurement | None  # of the encoded file, decoded again
    target: float  # LUFS
    ceiling: float  # dBTP
    preset: str
    gain_db: float
    limiter_max_reduction_db: float = 0.0
    limiter_active_share: float = 0.0
    warnings: tuple[str, ...] = ()
    leveler_max_boost_db: float = 0.0  # the leveler's largest boost and cut (dB); 0: off
    leveler_max_cut_db: float = 0.0


CheckStatus = Literal["pass", "fail", "info"]  # info: a figure with no limit in the profile


@dataclass(frozen=True)
class AudioCheck:
    """One audio check (qc) as reported: its figure against its limit, with times (s)."""

    name: str  # noise_floor, hum, room_tone, clipping, dc_offset, head, tail, dead_air, ...
    status: CheckStatus
    value: float | None
    unit: str
    limit: str  # as a person reads it: "<= -60", "0.5-1"
    detail: str = ""
    times: tuple[float, ...] = ()


# --------------------------------------------------------------------------- result

EpisodeStatus = Literal["ok", "failed", "skipped"]


@dataclass(frozen=True)
class EpisodeResult:
    episode: Episode
    status: EpisodeStatus
    duration: float = 0.0
    outputs: dict[str, Path] = field(default_factory=dict)  # kind ("mp3", "srt", ...) -> path
    transcript: Transcript | None = None
    alignment: Alignment | None = None
    loudness: LoudnessReport | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    error: str | None = None
    audio_checks: tuple[AudioCheck, ...] = ()


# --------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class LoudnessSummary:
    """The loudness figures of an episode as reported; None where a value is not finite."""

    preset: str
    target: float
    ceiling: float
    input_lufs: float | None
    input_true_peak: float | None
    input_lra: float | None
    output_lufs: float | None
    output_true_peak: float | None
    gain_db: float
    limiter_max_reduction_db: float
    limiter_active_share: float
    leveler_max_boost_db: float = 0.0
    leveler_max_cut_db: float = 0.0

    @classmethod
    def of(cls, report: LoudnessReport) -> LoudnessSummary:
        out = report.output
        return cls(
            preset=report.preset,
            target=report.target,
            ceiling=report.ceiling,
            input_lufs=finite(report.input.integrated, 2),
            input_true_peak=finite(report.input.true_peak, 2),
            input_lra=finite(report.input.lra, 2),
            output_lufs=finite(out.integrated, 2) if out else None,
            output_true_peak=finite(out.true_peak, 2) if out else None,
            gain_db=round(report.gain_db, 2),
            limiter_max_reduction_db=round(report.limiter_max_reduction_db, 2),
            limiter_active_share=round(report.limiter_active_share, 4),
            leveler_max_boost_db=round(report.leveler_max_boost_db, 2),
            leveler_max_cut_db=round(report.leveler_max_cut_db, 2),
        )


@dataclass(frozen=True)
class EpisodeSummary:
    """What was done to one episode: ``<slug>.result.json`` and one batch-report row.

    ``invalid``: failed validation, never ran; ``reason``: why skipped ("up to date", "dry
    run"); ``wall_seconds``: the worker's time; ``fingerprint`` (result.json) decides reruns.
    """

    slug: str
    audio: str | None
    status: EpisodeStatus
    duration: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    coverage: float | None = None
    match: MatchVerdict | None = None
    language: str | None = None  # the episode's language as decided (episode_language)
    issues: dict[str, int] = field(default_factory=dict)  # every issue found, by type
    to_fix: int = 0  # issues on the pickup list
    loudness: LoudnessSummary | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    error: str | None = None
    invalid: bool = False
    reason: str | None = None
    wall_seconds: float | None = None
    fingerprint: str | None = None
    audio_checks: tuple[AudioCheck, ...] = ()

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["warnings"] = list(self.warnings)
        doc["audio_checks"] = [{**asdict(c), "value": finite(c.value, 3), "times": [
            round(t, 3) for t in c.times]} for c in self.audio_checks]
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> EpisodeSummary:
        """Read a document written by ``to_json`` (unknown keys are ignored, so a
        result.json from an older version still reads)."""
        values = {f.name: doc[f.name] for f in fields(cls) if f.name in doc}
        if isinstance(values.get("loudness"), dict):
            names = {f.name for f in fields(LoudnessSummary)}
            values["loudness"] = LoudnessSummary(
                **{k: v for k, v in values["loudness"].items() if k in names})
        values["warnings"] = tuple(values.get("warnings") or ())
        values["audio_checks"] = tuple(AudioCheck(**{**c, "times": tuple(c.get("times") or ())})
                                       for c in values.get("audio_checks") or ())
        return cls(**{"slug": "", "audio": None, "status": "failed", **values})

    @property
    def state(self) -> str:
        """ok, up to date, dry run, invalid or failed: what a person reads in a table."""
        if self.invalid:
            return "invalid"
        if self.status == "skipped" and self.reason:
            return self.reason
        return self.status

