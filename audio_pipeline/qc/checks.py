"""The audio checks: typed results with figures and times, judged against a profile.

``check_audio`` runs every check on decoded samples (no transcription); ``check_file``
decodes a recording or a finished MP3 first and adds its format. Each check is a frozen
dataclass with its own figures; ``.report()`` gives the ``AudioCheck`` row that
result.json, the batch report, the producer's report and ``audio-pipeline check`` show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_pipeline.formatting import clock, fixed
from audio_pipeline.qc.analysis import Figures, analyse
from audio_pipeline.qc.profile import CheckProfile
from audio_pipeline.types import AudioCheck, CheckStatus

_MAX_TIMES = 20  # times listed per check; the count says how many there are


def _status(ok: bool | None) -> CheckStatus:
    return "info" if ok is None else ("pass" if ok else "fail")


def _under(value: float | None, limit: float | None) -> bool | None:
    if limit is None:
        return None
    return bool(value is None or not np.isfinite(value) or value <= limit)


def _within(value: float | None, lo: float | None, hi: float | None) -> bool | None:
    if lo is None and hi is None:
        return None
    if value is None:
        return None
    return bool((lo is None or value >= lo) and (hi is None or value <= hi))


def _range(lo: float | None, hi: float | None, unit: str = "") -> str:
    if lo is None and hi is None:
        return ""
    if lo is None:
        return f"<= {hi:g}{unit}"
    if hi is None:
        return f">= {lo:g}{unit}"
    return f"{lo:g}..{hi:g}{unit}"


def _limit(limit: float | None) -> str:
    return "" if limit is None else f"<= {limit:g}"


@dataclass(frozen=True)
class NoiseFloor:
    level_db: float | None  # dBFS RMS in the pauses; None: no pause found
    pause_seconds: float
    limit_db: float | None

    def report(self) -> AudioCheck:
        return AudioCheck("noise_floor", _status(_under(self.level_db, self.limit_db)),
                          self.level_db, "dBFS", _limit(self.limit_db),
                          f"room tone over {self.pause_seconds:.1f} s of pauses"
                          + (" (digital silence)" if self.level_db == float("-inf") else ""))


@dataclass(frozen=True)
class Hum:
    frequency: int | None  # 50 or 60 Hz; None: none stands out
    level_db: float | None
    limit_db: float | None

    def report(self) -> AudioCheck:
        ok = _under(self.level_db, self.limit_db) if self.frequency else (
            None if self.limit_db is None else True)
        detail = f"{self.frequency} Hz and harmonics" if self.frequency else "no mains hum"
        return AudioCheck("hum", _status(ok), self.level_db, "dBFS", _limit(self.limit_db),
                          detail)


@dataclass(frozen=True)
class RoomToneSteps:
    steps: tuple[tuple[float, float, float], ...]  # (time, level before, level after) dBFS
    largest_db: float | None
    limit_db: float | None

    def report(self) -> AudioCheck:
        bad = [s for s in self.steps if self.limit_db is not None
               and abs(s[2] - s[1]) > self.limit_db]
        ok = None if self.limit_db is None else not bad
        detail = "; ".join(f"{clock(t)} {a:.0f} -> {b:.0f} dB" for t, a, b in bad[:5])
        return AudioCheck("room_tone", _status(ok), self.largest_db, "dB",
                          _limit(self.limit_db), detail or "even between pauses",
                          tuple(t for t, _, _ in bad[:_MAX_TIMES]))


@dataclass(frozen=True)
class Clipping:
    runs: tuple[tuple[float, int], ...]  # (time, samples at full scale)
    min_run: int

    def report(self) -> AudioCheck:
        n = len(self.runs)
        detail = (f"{n} run(s) of {self.min_run}+ samples at full scale" if n
                  else "no run at full scale")
        return AudioCheck("clipping", _status(n == 0), float(n), "runs", "0", detail,
                          tuple(t for t, _ in self.runs[:_MAX_TIMES]))


@dataclass(frozen=True)
class DCOffset:
    per_channel_db: tuple[float, ...]
    limit_db: float | None

    def report(self) -> AudioCheck:
        worst = max(self.per_channel_db) if self.per_channel_db else None
        return AudioCheck("dc_offset", _status(_under(worst, self.limit_db)), worst, "dBFS",
                          _limit(self.limit_db), "largest channel mean")


@dataclass(frozen=True)
class EdgeSilence:
    edge: str  # "head" or "tail"
    seconds: float | None  # None: no speech found
    min_s: float | None
    max_s: float | None

    def report(self) -> AudioCheck:
        return AudioCheck(self.edge, _status(_within(self.seconds, self.min_s, self.max_s)),
                          self.seconds, "s", _range(self.min_s, self.max_s),
                          "room tone before the first speech" if self.edge == "head"
                          else "room tone after the last speech")


@dataclass(frozen=True)
class DeadAir:
    pauses: tuple[tuple[float, float], ...]  # (start, seconds) of each, inside the body
    long_pause_s: float

    def report(self) -> AudioCheck:
        longest = max((d for _, d in self.pauses), default=0.0)
        detail = (f"{len(self.pauses)} silence(s) of {self.long_pause_s:g} s or more"
                  if self.pauses else f"no silence of {self.long_pause_s:g} s or more")
        return AudioCheck("dead_air", _status(not self.pauses), longest, "s",
                          f"< {self.long_pause_s:g}", detail,
                          tuple(t for t, _ in self.pauses[:_MAX_TIMES]))


@dataclass(frozen=True)
class SpeakingRate:
    words: int  # in the article
    speech_seconds: float
    wpm: float | None
    min_wpm: float | None
    max_wpm: float | None

    def report(self) -> AudioCheck:
        ok = _within(self.wpm, self.min_wpm, self.max_wpm)
        detail = f"{self.words} article words in {clock(self.speech_seconds)} of speech"
        if ok is False and self.max_wpm is not None and (self.wpm or 0) > self.max_wpm:
            detail += ": shorter than the text predicts (cut or rushed)"
        return AudioCheck("speaking_rate", _status(ok), self.wpm, "wpm",
                          _range(self.min_wpm, self.max_wpm), detail)


@dataclass(frozen=True)
class Channels:
    rms_db: tuple[float, ...]
    dead_db: float | None

    def report(self) -> AudioCheck:
        if len(self.rms_db) < 2:
            return AudioCheck("channels", "info", None, "dB", "", "mono")
        gap = max(self.rms_db) - min(self.rms_db)
        gap = 200.0 if not np.isfinite(gap) else gap
        dead = [i for i, v in enumerate(self.rms_db)
                if self.dead_db is not None and max(self.rms_db) - v > self.dead_db]
        detail = (f"dead channel(s): {', '.join(str(i + 1) for i in dead)}" if dead
                  else f"{len(self.rms_db)} channels")
        return AudioCheck("channels", _status(None if self.dead_db is None else not dead),
                          round(gap, 2), "dB", _limit(self.dead_db), detail)


@dataclass(frozen=True)
class Level:
    rms_db: float
    peak_db: float
    rms_range: tuple[float | None, float | None]
    peak_max_db: float | None

    def reports(self) -> tuple[AudioCheck, AudioCheck]:
        lo, hi = self.rms_range
        return (AudioCheck("rms", _status(_within(self.rms_db, lo, hi)), self.rms_db, "dBFS",
                           _range(lo, hi), "RMS of the whole file"),
                AudioCheck("peak", _status(_under(self.peak_db, self.peak_max_db)),
                           self.peak_db, "dBFS", _limit(self.peak_max_db), "sample peak"))


# Room tone under STEP_FLOOR_DB counts as that (-140 or -90 dBFS are both inaudible), and a
# step between two pauses that are both under AUDIBLE_DB is no step a listener hears.
STEP_FLOOR_DB = -90.0
AUDIBLE_DB = -75.0


def _steps(fig: Figures) -> list[tuple[float, float, float]]:
    """Room-tone jumps between neighbouring pauses (the speech between is an edit)."""
    levels = [(p.start, max(p.level_db, STEP_FLOOR_DB)) for p in fig.pauses]
    return [(t, a, b) for (_, a), (t, b) in zip(levels, levels[1:], strict=False)
            if max(a, b) > AUDIBLE_DB]


def checks_from(fig: Figures, profile: CheckProfile, *,
                article_words: int | None = None) -> tuple[AudioCheck, ...]:
    """Every check's row, from the figures of one recording."""
    steps = _steps(fig)
    largest = max((abs(b - a) for _, a, b in steps), default=None)
    start, end = fig.speech_start, fig.speech_end
    head = start
    tail = None if end is None else max(fig.duration - end, 0.0)
    body = [(p.start, p.end - p.start) for p in fig.pauses
            if start is not None and end is not None and p.start > start and p.end < end
            and p.end - p.start >= profile.long_pause_s]
    rows = [
        NoiseFloor(fig.noise_floor_db, sum(p.end - p.start for p in fig.pauses),
                   profile.noise_floor_max_db).report(),
        Hum(fig.hum_hz, fig.hum_db, profile.hum_max_db).report(),
        RoomToneSteps(tuple(steps), largest, profile.room_tone_step_max_db).report(),
        Clipping(fig.clip_runs, profile.clip_run_samples).report(),
        DCOffset(fig.dc_db, profile.dc_offset_max_db).report(),
        EdgeSilence("head", head, profile.head_min_s, profile.head_max_s).report(),
        EdgeSilence("tail", tail, profile.tail_min_s, profile.tail_max_s).report(),
        DeadAir(tuple(body), profile.long_pause_s).report(),
        Channels(fig.channel_rms_db, profile.dead_channel_db).report(),
        *Level(fig.rms_db, fig.peak_db, (profile.rms_min_db, profile.rms_max_db),
               profile.peak_max_db).reports(),
    ]
    if article_words and start is not None and end is not None:
        speech = end - start
        wpm = round(article_words / (speech / 60.0), 1) if speech > 0 else None
        rows.append(SpeakingRate(article_words, speech, wpm, profile.wpm_min,
                                 profile.wpm_max).report())
    return tuple(rows)


def check_audio(samples: np.ndarray, rate: int, profile: CheckProfile, *,
                article_words: int | None = None) -> tuple[AudioCheck, ...]:
    fig = analyse(samples, rate, clip_run=profile.clip_run_samples)
    return checks_from(fig, profile, article_words=article_words)


def check_file(path: Path, profile: CheckProfile, *,
               article_words: int | None = None) -> tuple[AudioCheck, ...]:
    """Decode ``path`` (a recording or a finished MP3) at its own rate and check it."""
    from audio_pipeline import media

    audio = media.decode(path)
    return check_audio(audio.samples, audio.sample_rate, profile, article_words=article_words)


def article_words(source: Path) -> int:
    """Words in the article as read aloud (what is never read, such as URLs, is dropped)."""
    from audio_pipeline.align.source import parse_source

    return len(parse_source(source).words)


def failed(checks: tuple[AudioCheck, ...]) -> list[AudioCheck]:
    return [c for c in checks if c.status == "fail"]


def shown(check: AudioCheck) -> str:
    """The figure as a table shows it."""
    return fixed(check.value, 0 if check.unit in ("runs", "Hz") else 1, unit=f" {check.unit}")
