"""The stage list and process_episode().

Each stage is a library function over the dataclasses in types.py; this runner alone
decides what is cached, where outputs go, and how they are published: every output is
built in a hidden staging folder and swapped into `<out>/<slug>/` in one rename, so an
episode folder is either complete or absent.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from audio_pipeline import fsutil
from audio_pipeline.align.verify import SpanScorer, TimedScorer
from audio_pipeline.cache import TranscriptCache, file_digest, transcript_key
from audio_pipeline.errors import ConfigError, ManifestError, PipelineError
from audio_pipeline.metadata.config import PodcastConfig
from audio_pipeline.transcribe.protocol import Transcriber
from audio_pipeline.types import (
    Alignment,
    Audio,
    AudioCheck,
    Episode,
    EpisodeResult,
    EpisodeSummary,
    LoudnessReport,
    LoudnessSummary,
    Transcript,
)

# The stages in the order they run, with their rough share of an episode's wall time
# (transcription dominates): `_Run.stage` accepts only these names, and the progress
# display moves its bars and ETA by these shares between stage events.
STAGES: dict[str, float] = {"decode": 0.04, "language": 0.01, "transcribe": 0.61, "align": 0.08,
                            "loudness": 0.16, "checks": 0.02, "tags": 0.02, "edit": 0.01,
                            "publish": 0.05}
# Seconds measured inside a stage ("verify", in "align") or beside the stages (a loudness
# stage run alongside transcription): in stage_seconds, but not part of their sum.
INNER_TIMES = ("verify", "loudness_overlapped")
RESULT_SUFFIX = ".result.json"
FINGERPRINT_VERSION = 1

StageCallback = Callable[[str, str], None]  # (slug, stage)


@dataclass
class _Run:
    """Mutable bookkeeping for one episode's run (never leaves this module)."""

    episode: Episode
    on_stage: StageCallback | None
    seconds: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if name not in STAGES:
            raise ValueError(f"unknown stage {name!r}: add it to STAGES")
        if self.on_stage:
            self.on_stage(self.episode.slug, name)
        began = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - began, 3)


def stage_fraction(stage: str) -> float:
    """Share of an episode done when ``stage`` begins."""
    done = 0.0
    for name, weight in STAGES.items():
        if name == stage:
            return done
        done += weight
    return done


def make_transcriber(
    config: PodcastConfig, *, allow_download: bool = False, threads: int | None = None
) -> Transcriber:
    """The engine the config names; ``threads`` per model (None: every core).

    It is made for no language: each episode's language is decided by
    ``episode_language.choose_language``, whose ``for_language`` hands an English-only
    model's other languages to the multilingual one. Made for the config's language, an
    English-only model told ``--language fr`` would refuse instead of handing over."""
    if config.engine == "faster-whisper":
        from audio_pipeline.transcribe.fast import FasterWhisperTranscriber

        return FasterWhisperTranscriber(
            config.model, threads=threads, vad=config.vad,
            compute_type=None if config.compute_type == "auto" else config.compute_type,
        )
    if config.vad:
        raise ConfigError("vad: silence skipping needs engine = \"faster-whisper\"", config.path)
    from audio_pipeline.transcribe.engine import WhisperTranscriber  # loads torch lazily

    return WhisperTranscriber(config.model, threads=threads, allow_download=allow_download)


def episode_fingerprint(
    episode: Episode, config: PodcastConfig, *, audio_digest: str | None = None
) -> str:
    """Everything an episode's outputs depend on: rerun only when this changes."""
    parts: dict[str, Any] = {
        "v": FINGERPRINT_VERSION,
        "audio": audio_digest or (file_digest(episode.audio) if episode.audio else None),
        "source": file_digest(episode.source) if episode.source else None,
        "cover": file_digest(episode.meta.cover) if episode.meta.cover else None,
        "meta": asdict(episode.meta),
        "slug": episode.slug,
        "config": {k: v for k, v in asdict(config).items() if k != "path"},
    }
    blob = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def is_up_to_date(episode: Episode, config: PodcastConfig, out_dir: Path) -> bool:
    stamp = out_dir / episode.slug / f"{episode.slug}{RESULT_SUFFIX}"
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8")).get("fingerprint")
    except (OSError, ValueError):
        return False
    return recorded == episode_fingerprint(episode, config)


def transcribe_cached(
    audio: Audio, audio_digest: str, transcriber: Transcriber, cache: TranscriptCache | None
) -> tuple[Transcript, bool]:
    """Return (transcript, came_from_cache)."""
    options = {"language": transcriber.language, "beam_size": transcriber.beam_size,
               # engines differ in their output (int8, their own decoding loop): never mixed
               "engine": getattr(transcriber, "engine", "openai-whisper"),
               "vad": getattr(transcriber, "vad", False),
               "compute_type": getattr(transcriber, "compute_type", None),
               "chunk_seconds": getattr(transcriber, "chunk_seconds", None)}
    key = transcript_key(audio_digest, transcriber.model_name, options)
    if cache is not None and (hit := cache.get(key)) is not None:
        return hit, True
    transcript = transcriber.transcribe(audio)
    if cache is not None:
        cache.put(key, transcript)
    return transcript, False


def process_episode(
    episode: Episode,
    config: PodcastConfig,
    out_dir: Path,
    *,
    transcriber: Transcriber | None = None,
    cache: TranscriptCache | None = None,
    on_stage: StageCallback | None = None,
    make: Callable[[], Transcriber] | None = None,
    overlap: bool | None = None,
) -> EpisodeResult:
    """Run every stage on one episode; raises PipelineError for anything the user can fix.

    ``make`` builds the transcriber only once the audio decoded and holds speech, so a bad
    upload fails in a second without importing torch. ``overlap`` runs the loudness stage
    alongside transcription (None: when transcription leaves a core free, see background).
    """
    # Imported here, not at the top: `import audio_pipeline` and the CLI's --help stay light.
    from audio_pipeline.background import Background, core_left_free
    from audio_pipeline.loudness.normalizer import normalize_and_encode
    from audio_pipeline.media.decoder import decode_speech
    from audio_pipeline.media.presence import check_speech_audio
    from audio_pipeline.metadata.tags import write_tags

    if episode.audio is None:
        raise ManifestError("no recording given (`audio` is empty)", stage="pipeline")
    recording = episode.audio
    if episode.source is not None:  # a bad article fails now, not after transcription
        from audio_pipeline.align.source import read_article

        read_article(episode.source)
    run = _Run(episode, on_stage)
    final_dir = Path(out_dir) / episode.slug
    audio_digest = file_digest(recording)  # hashed once: fingerprint and transcript cache
    fingerprint = episode_fingerprint(episode, config, audio_digest=audio_digest)
    staging = fsutil.staging_dir(final_dir)
    mp3 = staging / f"{episode.slug}.mp3"
    encode = partial(normalize_and_encode, recording, mp3, preset=config.loudness_preset,
                     target=config.target_lufs, ceiling=config.true_peak,
                     bitrate_kbps=config.bitrate_kbps, sample_rate=config.sample_rate,
                     channels=config.channels, leveler=config.leveler)
    early: Background[LoudnessReport] | None = None
    try:
        with run.stage("decode"):
            # Speech-rate mono for Whisper; the loudness stage streams the original file
            # itself, so no full-rate copy of a long recording is ever held.
            audio = decode_speech(recording)
            check_speech_audio(audio)
        with run.stage("language"):  # the article's and the audio's, and the model for it
            from audio_pipeline.episode_language import choose_language

            chosen = choose_language(
                episode, audio, transcriber or (make or partial(make_transcriber, config))())
            run.warnings.extend(chosen.notices)
            episode = replace(episode, meta=replace(episode.meta, language=chosen.check))
            transcriber = chosen.transcriber
        if overlap if overlap is not None else core_left_free(transcriber):
            early = Background(encode, name=f"loudness-{episode.slug}")
        with run.stage("transcribe"):
            transcript, cached = transcribe_cached(audio, audio_digest, transcriber, cache)
            if cached:
                run.warnings.append("transcript reused from cache")
        alignment = None
        if episode.source is not None:
            with run.stage("align"):
                scorer = _span_scorer(transcriber, audio)
                alignment = _align(episode, transcript, config, audio, scorer)
                if scorer is not None:
                    # the model's checks, inside "align": their share of transcription
                    run.seconds["verify"] = round(scorer.seconds, 3)
        del audio
        with run.stage("loudness"):  # with `early`, only the wait for it
            report = early.result() if early is not None else encode()
            run.warnings.extend(report.warnings)
        if early is not None:
            run.seconds["loudness_overlapped"] = early.seconds
        with run.stage("checks"):
            checks = _audio_checks(recording, episode, config)
            run.warnings.extend(f"audio check failed: {c.name} {c.detail}" for c in checks
                                if c.status == "fail")
        from audio_pipeline.publish import episode_files

        segments = episode_files.published_segments(transcript, alignment)
        with run.stage("tags"):
            run.warnings.extend(
                write_tags(
                    mp3,
                    episode.meta,
                    chapters=alignment.chapters if alignment else (),
                    transcript_text=episode_files.plain_text(segments),
                    version=config.id3_version,
                    duration=transcript.duration or None,
                )
            )
        edited: dict[str, Path] = {}
        if alignment is not None:
            with run.stage("edit"):  # the edit list; the edited episode too with config.edit
                from audio_pipeline.publish.edited import edit_files

                edited, edit_loudness = edit_files(staging, episode, config, recording,
                                                   alignment, segments, transcript)
                run.warnings.extend(f"edited episode: {w}" for w in
                                    (edit_loudness.warnings if edit_loudness else ()))
        with run.stage("publish"):
            outputs = episode_files.publish_files(
                staging, episode, config, transcript, alignment, segments)
            outputs.update(edited)
            outputs["mp3"] = mp3
            names = {kind: path.name for kind, path in outputs.items()}
            names["result"] = f"{episode.slug}{RESULT_SUFFIX}"
            names["report"] = f"{episode.slug}.report.html"
            result = EpisodeResult(
                episode=episode,
                status="ok",
                duration=transcript.duration or 0.0,
                outputs={kind: final_dir / name for kind, name in names.items()},
                transcript=transcript,
                alignment=alignment,
                loudness=report,
                stage_seconds=run.seconds,
                warnings=tuple(run.warnings),
                audio_checks=checks,
            )
            summary = result_summary(result, fingerprint)
            fsutil.write_text(staging / names["report"],
                              episode_files.report_html(
                                  result, summary, segments, mp3, episode_verdict(result)))
            fsutil.write_text(
                staging / names["result"],
                json.dumps(summary.to_json(), indent=2, ensure_ascii=False) + "\n",
            )
            fsutil.publish_dir(staging, final_dir)
        return replace(result, stage_seconds=dict(run.seconds))
    except BaseException as exc:
        if early is not None and isinstance(exc, Exception):  # not when interrupted
            early.settle()  # its MP3 goes into staging: remove that only once it is done
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _align(
    episode: Episode, transcript: Transcript, config: PodcastConfig, audio: Audio,
    scorer: SpanScorer | None = None,
) -> Alignment:
    from audio_pipeline.align.aligner import align
    from audio_pipeline.align.onsets import SpeechOnsets
    from audio_pipeline.align.source import parse_source

    assert episode.source is not None
    source = parse_source(episode.source, episode.meta.language)
    onsets = SpeechOnsets(audio.samples, audio.sample_rate)
    return align(
        transcript,
        source,
        summary=episode.meta.summary,
        long_pause=config.long_pause,
        audio_duration=audio.duration,
        onsets=onsets,
        scorer=scorer,
        voiced=onsets.voiced_fraction,
    )


def _audio_checks(recording: Path, episode: Episode, config: PodcastConfig) -> tuple[
        AudioCheck, ...]:
    """The recording's audio checks (qc) at its own rate, format first."""
    from audio_pipeline.qc import article_words, check_file, probe_format, profile_for

    words = article_words(episode.source) if episode.source is not None else None
    return (probe_format(recording).report(),
            *check_file(recording, profile_for(config), article_words=words))


def _span_scorer(transcriber: Transcriber, audio: Audio) -> TimedScorer | None:
    """The transcribing model as a scorer of this recording, when the engine offers one."""
    from audio_pipeline.align.verify import TimedScorer

    make = getattr(transcriber, "span_scorer", None)
    inner = make(audio) if callable(make) else None
    return TimedScorer(inner) if inner is not None else None


def episode_verdict(result: EpisodeResult) -> str:
    if result.alignment is not None:
        from audio_pipeline.align.verdict import verdict

        return verdict(result.alignment)
    words = len(result.transcript.words) if result.transcript else 0
    return f"transcribed {words} words; no source text given, so the narration was not checked"


def result_summary(result: EpisodeResult, fingerprint: str | None = None) -> EpisodeSummary:
    """What `<slug>.result.json` and a batch-report row say about one episode."""
    from audio_pipeline.align.verdict import to_fix

    alignment = result.alignment
    issues: dict[str, int] = {}
    if alignment is not None:
        for issue in alignment.issues:
            issues[issue.type] = issues.get(issue.type, 0) + 1
    return EpisodeSummary(
        slug=result.episode.slug,
        audio=str(result.episode.audio) if result.episode.audio is not None else None,
        status=result.status,
        duration=round(result.duration, 3),
        stage_seconds=dict(result.stage_seconds),
        coverage=round(alignment.coverage, 4) if alignment else None,
        match=alignment.match if alignment else None,
        language=result.episode.meta.language if result.status == "ok" else None,
        issues=issues,
        to_fix=len(to_fix(alignment)) if alignment else 0,
        loudness=LoudnessSummary.of(result.loudness) if result.loudness else None,
        outputs={k: str(v) for k, v in result.outputs.items()},
        warnings=tuple(result.warnings),
        error=result.error,
        fingerprint=fingerprint,
        audio_checks=result.audio_checks,
    )


def failed_result(episode: Episode, error: BaseException, seconds: float = 0.0) -> EpisodeResult:
    message = (
        error.one_line() if isinstance(error, PipelineError) else f"{type(error).__name__}: {error}"
    )
    return EpisodeResult(
        episode=episode, status="failed", error=message, stage_seconds={"total": round(seconds, 3)}
    )
