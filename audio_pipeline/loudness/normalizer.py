"""Loudness: ITU-R BS.1770-4 / EBU R128 measurement and normalization for MP3 delivery.

``measure`` gives integrated loudness (gated), loudness range (EBU Tech 3342), sample
and true peak (oversampled at least 4x) and the short-term curve. ``normalize`` applies
the gain to a target and a look-ahead true-peak limiter (see ``limiter``).
``normalize_and_encode`` also allows for what MP3 encoding does to the signal, checks the
encoded MP3 with the same meter and corrects it when it misses. All passes stream over
the samples in blocks (see ``meter``), so long recordings are never copied whole.

Cost, for a long file: one measuring pass (K-weighting, and true peak as one float32
matrix product per segment on a helper thread), then the encode, which sets the pace:
our render and the check of the encoded frames (decoded by a second ffmpeg as LAME
writes them, see ``mp3stream``) run on the core LAME leaves idle.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import soundfile as sf

from audio_pipeline import media
from audio_pipeline.errors import LoudnessError, MediaError
from audio_pipeline.loudness.leveler import LevelerPlan, apply, plan_leveler
from audio_pipeline.loudness.limiter import (
    HOLD_MS,
    LOOKAHEAD_MS,
    RELEASE_DB_PER_S,
    GainPlan,
    plan_gain,
    render,
)
from audio_pipeline.loudness.meter import (
    MeterBlocks,
    StreamMeter,
    integrated,
    loudness_range,
    measure_blocks,
    measure_iter,
    quarters,
    short_term,
)
from audio_pipeline.loudness.preset import Preset, known_presets, load_preset
from audio_pipeline.media.mp3stream import EncodedTap, mp3_writer
from audio_pipeline.types import Audio, LoudnessMeasurement, LoudnessReport

__all__ = [
    "HOLD_MS", "LOOKAHEAD_MS", "RELEASE_DB_PER_S", "NormalizationInfo", "Preset",
    "known_presets", "lame_scale", "load_preset", "measure", "measure_file", "normalize",
    "normalize_and_encode", "mp3_overshoot_db",
]

_DC_THRESHOLD = 5e-3  # -46 dBFS: below this an offset is harmless and left alone
_LOUDNESS_TOLERANCE = 0.3  # LU: re-encode when the encoded file misses by more
_PEAK_MARGIN = 0.1  # dB kept below the ceiling: other meters' oversampling differs a bit
_WIDE_LRA = 15.0  # LU
_HEAVY_LIMITING_DB = 6.0
# The leveler engages when the plain path would limit more than this, would miss the
# target, or the loudness range is wide. A fast limiter taking 6-8 dB off the glottal peaks
# of a peaky voice (espeak, the LibriVox sample) still sounds natural and succeeds, so that
# path is kept; past 10 dB the voice flattens, or the gain was computed on clicks.
_LEVELER_ENGAGE_DB = 10.0
_HEADROOM_DB = 0.5  # the encoded true peak may sit this far under ceiling - _PEAK_MARGIN
_HEADROOM_AIM_DB = 0.25  # where a headroom correction aims, under ceiling - _PEAK_MARGIN


# --------------------------------------------------------------------------- measurement


def _as_2d(audio: Audio) -> np.ndarray:
    return audio.samples if audio.samples.ndim == 2 else audio.samples[:, None]


def _db(value: float) -> float:
    return float(20.0 * np.log10(value)) if value > 0 else float("-inf")


def _summarize(blocks: MeterBlocks) -> LoudnessMeasurement:
    q = quarters(blocks.energy, blocks.complete)
    st = short_term(q, blocks.rate, 10)
    return LoudnessMeasurement(
        integrated=integrated(q, blocks.rate),
        lra=loudness_range(q, blocks.rate),
        true_peak=_db(float(blocks.true_peak.max()) if blocks.true_peak.size else 0.0),
        sample_peak=_db(blocks.sample_peak),
        short_term=tuple(round(float(v), 2) for v in st),
        short_term_step=1.0,
    )


def _check_length(audio: Audio) -> None:
    if audio.sample_rate <= 0 or audio.frames < int(round(0.4 * audio.sample_rate)):
        raise LoudnessError("too short to measure: gating needs at least 400 ms", audio.path)


def measure(audio: Audio, *, dual_mono: bool = False) -> LoudnessMeasurement:
    """BS.1770-4 integrated loudness, LRA, peaks and short-term curve (3 s, every 1 s).

    Silence measures -inf LUFS (no exception); under 400 ms raises LoudnessError.
    """
    _check_length(audio)
    return _summarize(measure_blocks(_as_2d(audio), audio.sample_rate, dual_mono=dual_mono))


def measure_file(path: Path, channels: int, *, dual_mono: bool = False) -> LoudnessMeasurement:
    """Measure a file as ffmpeg decodes it (gapless MP3 included), block by block."""
    try:
        rate = int(sf.info(str(path)).samplerate)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise MediaError("cannot read the sample rate", path) from exc
    blocks = measure_iter(media.prefetch(media.iter_decode(path, channels)), rate, channels,
                          dual_mono=dual_mono, peak_max_only=True)
    if blocks.frames < int(round(0.4 * rate)):
        raise LoudnessError("too short to measure: gating needs at least 400 ms", path)
    return _summarize(blocks)


# --------------------------------------------------------------------------- normalization


def lame_scale(bitrate_kbps: int) -> float:
    """Output scale LAME applies at CBR (measured with ffmpeg 5.1's libmp3lame)."""
    if bitrate_kbps <= 160:
        return 0.95
    if bitrate_kbps <= 192:
        return 0.97
    if bitrate_kbps <= 224:
        return 0.98
    return 1.0


def mp3_overshoot_db(bitrate_kbps: int) -> float:
    """Headroom for the inter-sample peaks MP3 coding adds (0.8-1.3 dB on speech at 128k)."""
    if bitrate_kbps <= 128:
        return 1.5
    if bitrate_kbps <= 192:
        return 1.1
    return 0.8


@dataclass(frozen=True)
class NormalizationInfo:
    input: LoudnessMeasurement
    target: float  # what the samples were aimed at: pre-encode when a bitrate was given
    ceiling: float
    gain_db: float  # static gain; the limiter acts on top of it
    limiter_max_reduction_db: float
    limiter_active_share: float  # share of the duration with the limiter acting
    expected_lufs: float
    dc_offset: tuple[float, ...]  # removed per channel (zeros when left alone)
    warnings: tuple[str, ...]
    leveler: LevelerPlan | None = None  # None: the leveler did not engage (or is off)


@dataclass
class _Prepared:
    source: media.BlockSource
    info: NormalizationInfo
    plan: GainPlan
    offset: np.ndarray | None
    blocks: MeterBlocks
    leveler: LevelerPlan | None = None


def _measure_source(source: media.BlockSource,
                    dual_mono: bool) -> tuple[np.ndarray | None, MeterBlocks]:
    """One pass: the meter also sums each channel, which gives the DC offset. Only an
    offset large enough to remove (rare) costs a second pass measuring without it."""
    blocks = measure_iter(media.prefetch(source.blocks()), source.sample_rate,
                          source.channels, dual_mono=dual_mono)
    assert blocks.channel_sums is not None
    mean = blocks.channel_sums / max(blocks.frames, 1)
    if np.max(np.abs(mean)) <= _DC_THRESHOLD:
        return None, blocks
    offset = mean.astype(np.float32)
    return offset, measure_iter(media.prefetch(source.blocks()), source.sample_rate,
                                source.channels, dual_mono=dual_mono, offset=offset)


def _plan(blocks: MeterBlocks, measured: LoudnessMeasurement, *, target: float,
          ceiling: float, leveler: bool,
          previous: _Prepared | None) -> tuple[GainPlan, LevelerPlan | None]:
    """Today's plan (gain and limiter) where it succeeds; else the leveler first."""
    if previous is not None and previous.leveler is not None:  # a correction keeps it
        lev = previous.leveler
        return replace(plan_gain(apply(blocks, lev), target=target, ceiling=ceiling),
                       leveler_db=lev.gain_db), lev
    plan = plan_gain(blocks, target=target, ceiling=ceiling)
    engage = (plan.max_reduction_db > _LEVELER_ENGAGE_DB or plan.expected_lufs < target - 0.1
              or measured.lra > _WIDE_LRA)
    if not leveler or not engage or previous is not None:
        return plan, None
    lev = plan_leveler(blocks)
    if max(lev.max_boost_db, lev.max_cut_db) < 0.5:  # nothing worth leveling: today's path
        return plan, None
    return replace(plan_gain(apply(blocks, lev), target=target, ceiling=ceiling),
                   leveler_db=lev.gain_db), lev


def _prepare(source: media.BlockSource, *, target: float, ceiling: float, dual_mono: bool,
             previous: _Prepared | None = None, leveler: bool = True) -> _Prepared:
    if previous is not None:  # a correction: the input was measured already
        offset, blocks = previous.offset, previous.blocks
    else:
        if source.frames < int(round(0.4 * source.sample_rate)) and not source.ffmpeg:
            raise LoudnessError("too short to measure: gating needs at least 400 ms",
                                source.path)
        offset, blocks = _measure_source(source, dual_mono)
    if blocks.frames < int(round(0.4 * source.sample_rate)):  # the header may not know
        raise LoudnessError("too short to measure: gating needs at least 400 ms", source.path)
    measured = _summarize(blocks)
    warnings: list[str] = []
    if offset is not None:
        warnings.append("removed a DC offset of " + ", ".join(f"{v:+.4f}" for v in offset))
    if blocks.clipped_samples > 0:
        warnings.append(f"input looks clipped: {blocks.clipped_samples} samples at full "
                        "scale; clipping cannot be undone")
    if not np.isfinite(measured.integrated):
        warnings.append("input is silent (below the -70 LUFS gate): no gain applied")
        lev = None
        plan = GainPlan(0.0, np.zeros(blocks.energy.shape[0]), measured.integrated,
                        source.sample_rate, blocks.frames)
    else:
        plan, lev = _plan(blocks, measured, target=target, ceiling=ceiling, leveler=leveler,
                          previous=previous)
        if lev is not None:
            warnings.append(f"leveler engaged: {lev.max_boost_db:.1f} dB up, "
                            f"{lev.max_cut_db:.1f} dB down (transients tamed by up to "
                            f"{lev.tamed_db:.1f} dB)")
        if plan.max_reduction_db > _HEAVY_LIMITING_DB:
            warnings.append(
                f"heavy limiting: up to {plan.max_reduction_db:.1f} dB, active "
                f"{100 * plan.active_share:.1f}% of the time (input LRA {measured.lra:.1f} LU,"
                f" true peak {measured.true_peak:.1f} dBTP, gain {plan.gain_db:+.1f} dB)")
        if plan.expected_lufs < target - 0.3:
            warnings.append(f"target not reachable under the ceiling without flattening "
                            f"the speech: about {plan.expected_lufs:.1f} LUFS before encoding")
        if measured.lra > _WIDE_LRA and lev is None:
            warnings.append(f"wide loudness range: {measured.lra:.1f} LU; quiet passages "
                            "stay quiet (no compression is applied)")
    info = NormalizationInfo(
        input=measured, target=target, ceiling=ceiling, gain_db=plan.gain_db,
        limiter_max_reduction_db=plan.max_reduction_db,
        limiter_active_share=plan.active_share, expected_lufs=plan.expected_lufs,
        dc_offset=tuple(float(v) for v in (offset if offset is not None
                                            else np.zeros(source.channels))),
        warnings=tuple(warnings), leveler=lev)
    return _Prepared(source, info, plan, offset, blocks, lev)


def normalize(audio: Audio, *, target: float = -16.0, ceiling: float = -1.0,
              bitrate_kbps: int | None = 128,
              dual_mono: bool = False) -> tuple[Audio, NormalizationInfo]:
    """Gain to ``target`` LUFS and limit true peak, ready for a ``bitrate_kbps`` MP3.

    With a bitrate the samples are aimed at what comes out of LAME: ``target`` plus
    LAME's output scale (+0.45 dB up to 160 kb/s) and a true-peak ceiling lowered by the
    MP3 overshoot allowance (1.5 dB at 128 kb/s); ``bitrate_kbps=None`` aims at
    ``target``/``ceiling`` exactly (lossless delivery).

    Limiter: look-ahead and attack 2 ms (the gain glides down over the 2 ms before a
    peak), hold 4 ms, release 200 dB/s; computed on the oversampled peak envelope
    at a 1 ms control rate and interpolated per sample, so it neither clips nor
    clicks. A DC offset above -46 dBFS is subtracted per channel (its mean); silence
    gets no gain and a warning.
    """
    pre_target, pre_ceiling = _pre_encode(target, ceiling, bitrate_kbps)
    source = media.block_source(audio)
    prep = _prepare(source, target=pre_target, ceiling=pre_ceiling, dual_mono=dual_mono)
    out = np.empty((audio.frames, audio.channels), dtype=np.float32)
    pos = 0
    for chunk in render(source.blocks(), prep.plan, offset=prep.offset):
        out[pos:pos + chunk.shape[0]] = chunk
        pos += chunk.shape[0]
    return Audio(out, audio.sample_rate, audio.path), prep.info


def _pre_encode(target: float, ceiling: float, bitrate_kbps: int | None) -> tuple[float, float]:
    if bitrate_kbps is None:
        return target, ceiling
    comp = -_db(lame_scale(bitrate_kbps))
    return target + comp, ceiling + comp - mp3_overshoot_db(bitrate_kbps)


def _resolve(preset: str | Preset | None, target: float | None, ceiling: float | None,
             dual_mono: bool | None) -> Preset:
    base = preset if isinstance(preset, Preset) else load_preset(preset or "podcast")
    return Preset(name=base.name,
                  target=base.target if target is None else float(target),
                  ceiling=base.ceiling if ceiling is None else float(ceiling),
                  dual_mono=base.dual_mono if dual_mono is None else bool(dual_mono),
                  channels=base.channels, description=base.description)


def normalize_and_encode(
    audio: Audio | Path, dest: Path, *, preset: str | Preset | None = "podcast",
    target: float | None = None, ceiling: float | None = None, bitrate_kbps: int = 128,
    sample_rate: int | None = None, channels: int | None = None,
    dual_mono: bool | None = None, max_corrections: int = 2, leveler: bool = True,
) -> LoudnessReport:
    """Normalize ``audio`` to a preset (``target``/``ceiling`` override it), encode MP3.

    The encoded MP3 is decoded (as ffmpeg and players decode the file) and measured:
    that is the report's ``output``. The decode runs while LAME encodes, on the same
    frames the file receives, and counts only once checked against the written file
    (gapless start and first samples); otherwise the file itself is decoded again.
    When it misses (integrated more than 0.3 LU off, or true peak above the ceiling)
    the gain and limiter ceiling are corrected by what was missed and the file
    re-encoded, up to ``max_corrections`` times. While the limiter acts, a true peak more
    than 0.6 dB under the ceiling is headroom left unused: the limiter's ceiling is
    raised by the shortfall and the file re-encoded (a true peak is never let over).

    ``leveler``: when the plain gain and limiter would limit more than 10 dB, miss the
    target, or the loudness range is over 15 LU, the leveler (``leveler``) rides the
    speech's level and tames isolated transients first; ``False`` keeps the plain path.

    ``audio`` may be decoded Audio or a file path: a file is streamed from disk on each
    pass and never held whole (libsndfile for WAV, FLAC, ...; ffmpeg for M4A and the
    rest, and for resampling), which keeps a 60-minute episode to a few hundred MB.
    Channels: ``channels`` if given, else the preset's, else the input's; MP3 holds at
    most two, so more are mixed to stereo (``media.to_channels``). ``sample_rate``
    resamples before measuring; rates MP3 cannot hold (e.g. 96 kHz) are resampled to
    ``media.mp3_rate`` (by ffmpeg for a file, by ``media.resample`` for Audio). The report's
    ``input`` is measured after that mixing and resampling and DC removal.
    """
    chosen = _resolve(preset, target, ceiling, dual_mono)
    dest = Path(dest)
    source = media.block_source(audio)
    want = channels or chosen.channels or min(source.channels, 2)
    # MPEG audio stops at 48 kHz: a 96 kHz recording is resampled even when not asked.
    rate = media.mp3_rate(sample_rate or source.sample_rate)
    if rate == source.sample_rate:
        source = source.mixed_to(want)
    else:  # a file is resampled by ffmpeg as it streams; decoded audio in memory
        source = (source.resampled_by_ffmpeg(rate) or media.block_source(
            media.resample(media.to_channels(source.load(), want), rate))).mixed_to(want)
    pre_target, pre_ceiling = _pre_encode(chosen.target, chosen.ceiling, bitrate_kbps)
    dm = chosen.dual_mono and want == 1
    prep = _prepare(source, target=pre_target, ceiling=pre_ceiling, dual_mono=dm,
                    leveler=leveler)
    misses: list[str] = []
    silent = not np.isfinite(prep.info.input.integrated)
    output: LoudnessMeasurement | None = None
    for attempt in range(max_corrections + 1):
        # The check measures the MP3's own frames, decoded while they are encoded (on
        # the core LAME leaves idle); mp3stream verifies this equals decoding the file.
        check = StreamMeter(source.sample_rate, want, dual_mono=dm, peak_max_only=True)
        tap = EncodedTap(check.feed)
        with mp3_writer(dest, source.sample_rate, want, bitrate_kbps=bitrate_kbps,
                              tap=tap) as write:
            for chunk in render(media.prefetch(source.blocks()), prep.plan,
                                offset=prep.offset):
                write(chunk)
        if tap.exact and check.frames >= int(round(0.4 * source.sample_rate)):
            output = _summarize(check.finish())
        else:
            output = measure_file(dest, want, dual_mono=dm)
        if silent:
            break
        loud_miss = chosen.target - output.integrated
        peak_over = output.true_peak - (chosen.ceiling - _PEAK_MARGIN)
        # Headroom counts only where the limiter acts: otherwise the peaks are the
        # recording's own, under the ceiling at the target loudness.
        unused = prep.plan.max_reduction_db > 0.05 and peak_over < -_HEADROOM_DB
        if abs(loud_miss) <= _LOUDNESS_TOLERANCE and peak_over <= 0 and not unused:
            break
        if attempt == max_corrections and (unused and abs(loud_miss) <= _LOUDNESS_TOLERANCE
                                           and peak_over <= 0):
            break  # on target and under the ceiling: the headroom is a nicety
        if attempt == max_corrections:
            misses.append(
                f"encoded file misses the target: {output.integrated:.2f} LUFS, true peak "
                f"{output.true_peak:.2f} dBTP (target {chosen.target:g}, ceiling "
                f"{chosen.ceiling:g}) after {max_corrections} corrections")
            break
        pre_target += loud_miss
        if peak_over > 0:
            pre_ceiling -= peak_over + 0.1
        elif unused:
            pre_ceiling += -peak_over - _HEADROOM_AIM_DB
        prep = _prepare(source, target=pre_target, ceiling=pre_ceiling, dual_mono=dm,
                        previous=prep)
    assert output is not None
    info = prep.info
    return LoudnessReport(
        input=info.input, output=output, target=chosen.target, ceiling=chosen.ceiling,
        preset=chosen.name, gain_db=round(info.gain_db, 3),
        limiter_max_reduction_db=round(info.limiter_max_reduction_db, 3),
        limiter_active_share=round(info.limiter_active_share, 5),
        leveler_max_boost_db=round(info.leveler.max_boost_db, 3) if info.leveler else 0.0,
        leveler_max_cut_db=round(info.leveler.max_cut_db, 3) if info.leveler else 0.0,
        warnings=info.warnings + tuple(misses),
    )
