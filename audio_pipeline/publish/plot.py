"""The report's loudness plot: short-term loudness (3 s windows) of the recording and of
the episode MP3, the target and the ceiling, and the narration issues on the same time
axis, as coordinates for an inline SVG (drawn by ``templates/report_plot.html.j2``;
no script, no font or file fetched).

The curves come from the loudness stage's own measurements (``LoudnessMeasurement.
short_term``, one value a second), carried here in a ``LoudnessCurves``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from audio_pipeline.formatting import clock
from audio_pipeline.types import LoudnessReport, NarrationIssue

WIDTH, HEIGHT = 900, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40
FLOOR_LUFS = -50.0  # quieter windows (silence) are drawn on the floor


@dataclass(frozen=True)
class LoudnessCurves:
    """Short-term loudness before and after, in LUFS (None: silence), every ``step`` s."""

    before: tuple[float | None, ...]
    after: tuple[float | None, ...]
    step: float
    window: float
    target: float
    ceiling: float

    @classmethod
    def of(cls, report: LoudnessReport) -> LoudnessCurves:
        def finite(values: Sequence[float]) -> tuple[float | None, ...]:
            return tuple(v if math.isfinite(v) else None for v in values)

        out = report.output
        return cls(
            before=finite(report.input.short_term),
            after=finite(out.short_term) if out else (),
            step=report.input.short_term_step,
            window=3.0,
            target=report.target,
            ceiling=report.ceiling,
        )


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Marker:
    number: int  # the row in the issues table
    x: float
    width: float
    label: str
    start: float


@dataclass(frozen=True)
class Plot:
    width: int
    height: int
    left: int
    right: int  # x of the right edge of the plot area
    top: int
    bottom: int  # y of the time axis
    before: str  # SVG path data
    after: str
    target_y: float
    ceiling_y: float
    target: float
    ceiling: float
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    markers: tuple[Marker, ...]
    description: str


def build_plot(curves: LoudnessCurves, issues: Sequence[NarrationIssue],
               duration: float) -> Plot:
    """Coordinates of everything the SVG draws; ``issues`` numbered as in the table."""
    longest = max(len(curves.before), len(curves.after), 1)
    span = max(duration, (longest - 1) * curves.step + curves.window, 1.0)
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM
    values = [v for v in (*curves.before, *curves.after) if v is not None]
    high = max([curves.ceiling, *values]) + 3.0
    low = FLOOR_LUFS

    def x(t: float) -> float:
        return round(x0 + (x1 - x0) * min(max(t, 0.0), span) / span, 1)

    def y(v: float) -> float:
        v = min(max(v, low), high)
        return round(y1 - (y1 - y0) * (v - low) / (high - low), 1)

    def path(series: Sequence[float | None]) -> str:
        # each value covers the 3 s window ending at its time: drawn at the window's middle
        pieces = []
        for k, v in enumerate(series):
            t = k * curves.step + curves.window / 2
            pieces.append(f"{'M' if k == 0 else 'L'}{x(t)},{y(low if v is None else v)}")
        return " ".join(pieces)

    step = next(s for s in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800) if span / s <= 10)
    x_ticks = tuple(Tick(x(t), clock(t)) for t in range(0, int(span) + 1, step))
    y_ticks = tuple(Tick(y(v), f"{v:g}") for v in range(int(low), int(high) + 1, 10))
    markers = tuple(
        Marker(n, x(i.start), max(x(i.end) - x(i.start), 2.0),
               f"{n}. {i.type.replace('_', ' ')} at {clock(i.start)}", round(i.start, 2))
        for n, i in enumerate(issues, 1)
    )
    done = [v for v in curves.after if v is not None]
    description = (
        f"Short-term loudness over {clock(span)}: the recording and the episode after "
        f"normalization (peak short-term {max(done):.1f} LUFS), target {curves.target:g} LUFS, "
        f"ceiling {curves.ceiling:g} dBTP, {len(markers)} narration issue(s) marked."
        if done else f"Short-term loudness over {clock(span)}; {len(markers)} issue(s) marked."
    )
    return Plot(WIDTH, HEIGHT, x0, x1, y0, y1, path(curves.before), path(curves.after),
                y(curves.target), y(curves.ceiling), curves.target, curves.ceiling,
                x_ticks, y_ticks, markers, description)
