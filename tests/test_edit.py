"""The edit list, its time map and rendering (pure logic), and the proof by re-alignment:
the edited MP3 of a narration with a retake and a long pause, run through the whole
pipeline again, has neither left, loses no word and agrees with its own captions."""

from __future__ import annotations

import json
import shutil
import statistics
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from audio_pipeline.edit.decide import plan_edits
from audio_pipeline.edit.labels import render_labels
from audio_pipeline.edit.render import apply_cuts, refine_cuts
from audio_pipeline.edit.timemap import TimeMap, map_chapters, map_segments
from audio_pipeline.edit.types import edits_from_json, read_edits
from audio_pipeline.errors import EditError
from audio_pipeline.types import ChapterMark, NarrationIssue, Segment, Word

# --------------------------------------------------------------------------- time map


@st.composite
def _cuts(draw: st.DrawFn) -> list[tuple[float, float]]:
    """Sorted, non-overlapping cuts inside 0..100 s."""
    points = sorted(draw(st.lists(st.floats(0, 100, allow_nan=False), min_size=0, max_size=12,
                                  unique=True)))
    return [(a, b) for a, b in zip(points[::2], points[1::2], strict=False) if b > a]


# no deadline: the shared CI machine is slow at times, and pure arithmetic cannot hang
@settings(deadline=None, max_examples=60)
@given(_cuts(), st.floats(0, 100), st.floats(0, 100))
def test_time_map_is_monotonic_and_removes_exactly_the_cuts(cuts, a, b) -> None:
    tmap = TimeMap.of(cuts)
    lo, hi = min(a, b), max(a, b)
    assert tmap(lo) <= tmap(hi) + 1e-9
    inside = sum(max(0.0, min(hi, e) - max(lo, s)) for s, e in cuts)
    assert tmap(hi) - tmap(lo) == pytest.approx((hi - lo) - inside, abs=1e-6)
    assert tmap.removed == pytest.approx(sum(e - s for s, e in cuts))


@settings(deadline=None, max_examples=60)
@given(_cuts())
@example([(99.99999999999999, 100.0)])  # one float step wide: no midpoint lies inside
def test_a_cut_collapses_to_its_join(cuts) -> None:
    tmap = TimeMap.of(cuts)
    for s, e in cuts:
        assert tmap(s) == pytest.approx(tmap(e), abs=1e-9)
        mid = (s + e) / 2  # rounds to an end when the cut is a float step or two wide
        assert tmap.is_cut(s) and (mid >= e or tmap.is_cut(mid)) and not tmap.is_cut(e)
    if cuts:
        assert tmap(cuts[0][0] - 1) == cuts[0][0] - 1  # before every cut: unchanged


def test_overlapping_cuts_are_refused_by_the_time_map() -> None:
    with pytest.raises(ValueError, match="overlapping"):
        TimeMap.of([(1.0, 3.0), (2.0, 4.0)])


def test_words_inside_a_cut_vanish_and_later_ones_move_earlier() -> None:
    words = (Word("one", 0.0, 0.5), Word("um", 1.0, 1.4), Word("two", 2.0, 2.5))
    segs = [Segment(0, 0.0, 2.5, "one um two", words), Segment(1, 1.05, 1.3, "oops", ()),
            Segment(2, 3.0, 4.0, "three", (Word("three", 3.0, 4.0),))]
    moved = map_segments(segs, TimeMap.of([(0.9, 1.5)]))
    assert [s.text for s in moved] == ["one two", "three"]  # "oops" lay wholly in the cut
    assert [w.text for w in moved[0].words] == ["one", "two"]
    assert moved[0].words[1].start == pytest.approx(1.4)
    assert moved[1].start == pytest.approx(2.4) and [s.id for s in moved] == [0, 1]
    chapters = map_chapters([ChapterMark("A", 0.0, 1.0), ChapterMark("B", 1.0, 1.2),
                             ChapterMark("C", 2.0, 5.0)], TimeMap.of([(0.9, 1.5)]))
    assert [(c.title, round(c.start, 3)) for c in chapters] == [("A", 0.0), ("C", 1.4)]


# --------------------------------------------------------------------------- edit list


def _issue(kind: str, start: float, end: float, confidence: float = 0.9) -> NarrationIssue:
    return NarrationIssue(kind, start, end, 1, "text", "heard", confidence)


def test_only_verified_retakes_and_pauses_are_cut_and_pauses_are_shortened() -> None:
    issues = [_issue("repeated", 4.0, 9.0), _issue("repeated", 20.0, 22.0, confidence=0.3),
              _issue("long_pause", 30.0, 36.0), _issue("long_pause", 40.0, 40.8),
              _issue("inserted", 50.0, 52.0), _issue("substituted", 60.0, 61.0),
              _issue("intro", 0.0, 2.0)]
    edits = plan_edits(issues, 70.0, pause=1.0)
    assert [(c.reason, c.start, c.end) for c in edits.cuts] == [
        ("retake", 4.0, 9.0), ("long_pause", 30.5, 35.5)]
    assert edits.cuts[0].issue is not None and edits.cuts[0].issue.type == "repeated"
    assert edits.removed == pytest.approx(10.0)
    with_adlibs = plan_edits(issues, 70.0, pause=2.0, inserted=True)
    assert [(c.reason, c.start, c.end) for c in with_adlibs.cuts] == [
        ("retake", 4.0, 9.0), ("long_pause", 31.0, 35.0), ("inserted", 50.0, 52.0)]


def test_a_pause_inside_a_retake_is_cut_once_with_the_retake() -> None:
    edits = plan_edits([_issue("long_pause", 5.0, 12.0), _issue("repeated", 4.0, 13.0)], 20.0)
    assert [(c.reason, c.start, c.end) for c in edits.cuts] == [("retake", 4.0, 13.0)]


def test_the_edit_list_round_trips_and_changing_keep_recentres_the_pause() -> None:
    edits = plan_edits([_issue("repeated", 4.0, 9.0), _issue("long_pause", 30.0, 36.0)], 70.0)
    doc = json.loads(json.dumps(edits.to_json()))
    assert edits_from_json(doc).cuts == edits.cuts
    doc["cuts"][1]["keep"] = 2.0
    assert [(c.start, c.end) for c in edits_from_json(doc).cuts][1] == (31.0, 35.0)
    labels = render_labels(edits).splitlines()
    assert labels[0].split("\t")[:2] == ["4.000000", "9.000000"]
    assert labels[1].split("\t")[2].startswith("2 long_pause (0.90)")


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["cuts"].append({"start": 5.0, "end": 6.0, "reason": "manual"}), "overlaps"),
    (lambda d: d["cuts"].append({"start": 65.0, "end": 80.0, "reason": "manual"}),
     "outside the audio"),
    (lambda d: d["cuts"][0].update(start="four"), "'start' must be a number"),
    (lambda d: d["cuts"][0].update(reason="because"), "reason 'because'"),
    (lambda d: d["cuts"][0].pop("end"), "missing 'end'"),
    (lambda d: d["cuts"][1].update(keep=9.0), "not shorter than the pause"),
    (lambda d: d.update(cuts={"a": 1}), "'cuts' must be a list"),
])
def test_a_bad_hand_edit_is_one_clear_line(tmp_path, change, message) -> None:
    edits = plan_edits([_issue("repeated", 4.0, 9.0), _issue("long_pause", 30.0, 36.0)], 70.0)
    doc = edits.to_json()
    change(doc)
    path = tmp_path / "ep.edits.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(EditError, match=message) as err:
        read_edits(path)
    assert "\n" not in err.value.one_line() and str(path) in err.value.one_line()
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(EditError, match="not valid JSON"):
        read_edits(path)


def test_the_report_rows_show_each_cut_as_rendered() -> None:
    from audio_pipeline.publish.report import edit_rows

    edits = plan_edits([_issue("repeated", 4.0, 9.0), _issue("long_pause", 30.0, 36.0)], 70.0)
    planned = edit_rows(edits, None)
    assert [(r["start"], r["length"], r["join"]) for r in planned] == [
        (4.0, 5.0, None), (30.5, 5.0, None)]
    rendered = edit_rows(edits, TimeMap.of([(3.9, 8.95), (30.2, 35.2)]))
    assert [(r["start"], r["join"]) for r in rendered] == [(3.9, 3.9), (30.2, pytest.approx(25.15))]


def test_render_refuses_a_folder_without_an_edit_list(tmp_path) -> None:
    from audio_pipeline.metadata.config import PodcastConfig
    from audio_pipeline.publish.edited import rerender_folder

    with pytest.raises(EditError, match="expected one \\*.edits.json"):
        rerender_folder(tmp_path, PodcastConfig())
    doc = plan_edits([_issue("repeated", 4.0, 9.0)], 70.0,
                     recording=str(tmp_path / "gone.wav")).to_json()
    (tmp_path / "ep.edits.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(EditError, match="gone.wav.* is not there"):
        rerender_folder(tmp_path, PodcastConfig())
    with pytest.raises(EditError, match="not an episode folder"):
        rerender_folder(tmp_path / "nope", PodcastConfig())


# --------------------------------------------------------------------------- rendering


def _max_step(x: np.ndarray, at: int, radius: int = 40) -> float:
    return float(np.abs(np.diff(x[max(0, at - radius) : at + radius])).max())


def test_a_crossfaded_cut_removes_its_length_and_makes_no_click() -> None:
    rate = 8000
    t = np.arange(rate * 2) / rate
    tone = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    cut = [(int(0.5013 * rate), int(1.2051 * rate))]  # mid-wave on both sides: a hard cut clicks
    hard = apply_cuts(tone, rate, cut, crossfade=0.0)
    soft = apply_cuts(tone, rate, cut)
    assert len(hard) == len(soft) == len(tone) - (cut[0][1] - cut[0][0])
    typical = float(np.abs(np.diff(tone)).max())
    assert _max_step(hard, cut[0][0]) > 2 * typical  # the measure can fail
    # equal power: at most sqrt(2) louder where the two sides happen to be in phase
    assert _max_step(soft, cut[0][0]) <= 1.45 * typical


def test_cut_points_move_into_the_room_tone_before_a_word() -> None:
    rate = 8000
    x = np.random.default_rng(1).normal(0, 1e-3, rate * 3).astype(np.float32)
    x[int(1.0 * rate) : int(1.5 * rate)] += 0.3  # a "word" from 1.0 s
    x[int(2.0 * rate) : int(2.5 * rate)] += 0.3  # the kept reading from 2.0 s
    [(s, e)] = refine_cuts(x, rate, [(1.05, 2.05)])  # Whisper's times, a little late
    assert 0.85 <= s / rate < 1.0 and 1.85 <= e / rate < 2.0
    [(s, e)] = refine_cuts(x, rate, [(1.6, 1.9)], keeps=[0.2])  # a pause: its middle
    assert s / rate == pytest.approx(1.6, abs=0.03) and e / rate == pytest.approx(1.9, abs=0.03)


# --------------------------------------------------------------------------- proof


slow = pytest.mark.slow  # the real model, twice
META = ["--title", "The Old Town", "--narrator", "Perrin Walker"]


@pytest.fixture(scope="module")
def proof(tmp_path_factory, isolated_cache) -> dict:
    """The fixture processed with --edit, then its edited MP3 processed again."""
    from edit_fixture import build

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    work = tmp_path_factory.mktemp("edit")
    recording, article, timeline = build(work)
    runner = CliRunner()
    first = runner.invoke(cli_main(), ["process", str(recording), "--source", str(article),
                                       "--out", str(work / "out"), "--edit", *META])
    assert first.exit_code == 0, first.output
    folder = work / "out" / "the-old-town"
    again = runner.invoke(cli_main(), ["process", str(folder / "the-old-town.edited.mp3"),
                                       "--source", str(article), "--out", str(work / "again"),
                                       *META])
    assert again.exit_code == 0, again.output
    return {"folder": folder, "again": work / "again" / "the-old-town", "timeline": timeline,
            "recording": recording, "runner": runner, "work": work}


def cli_main():
    from audio_pipeline.cli import cli

    return cli


def _doc(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@slow
def test_the_edit_list_holds_the_retake_and_the_long_pause(proof) -> None:
    edits = _doc(proof["folder"] / "the-old-town.edits.json")
    timeline = proof["timeline"]
    retake = next(c for c in edits["cuts"] if c["reason"] == "retake")
    assert retake["start"] == pytest.approx(timeline[2]["start"], abs=0.15)  # the attempt
    assert retake["end"] == pytest.approx(timeline[4]["start"], abs=0.15)  # the kept reading
    assert [c["reason"] for c in edits["cuts"]] == ["retake", "long_pause"]
    labels = (proof["folder"] / "the-old-town.edits.txt").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in labels.splitlines()]
    assert [len(r) for r in rows] == [3, 3] and rows[0][2].startswith("1 retake (0.")
    assert float(rows[0][0]) == pytest.approx(retake["start"], abs=1e-3)
    report = (proof["folder"] / "the-old-town.report.html").read_text(encoding="utf-8")
    section = report[report.index('id="edits"'):]
    assert '<a href="the-old-town.edited.mp3">' in section and "long pause" in section


@slow
def test_re_alignment_of_the_edited_episode_finds_no_retake_no_pause_and_no_lost_word(
        proof) -> None:
    before = _doc(proof["folder"] / "the-old-town.alignment.json")
    after = _doc(proof["again"] / "the-old-town.alignment.json")
    assert not [i for i in after["issues"] if i["type"] in ("repeated", "long_pause")]
    assert after["coverage"] >= before["coverage"]
    assert [w["text"] for w in after["words"]] == [w["text"] for w in before["words"]]
    lost = [w["text"] for w, v in zip(before["words"], after["words"], strict=True)
            if w["heard"] is not None and v["heard"] is None]
    assert not lost
    rendered = _doc(proof["folder"] / "the-old-town.edited.json")["edits"]
    removed = sum(e - s for s, e in rendered["cuts"])
    # the retake (attempt, "sorry", pauses) and the 6 s pause less the 1 s kept
    timeline = proof["timeline"]
    truth = (timeline[4]["start"] - timeline[2]["start"]) + (timeline[5]["pause_after"] - 1.0)
    assert removed == pytest.approx(rendered["removed"], abs=1e-3)
    assert removed == pytest.approx(truth, abs=0.15)


@slow
def test_the_edited_captions_agree_with_the_re_alignment(proof) -> None:
    tmap = TimeMap.of(_doc(proof["folder"] / "the-old-town.edited.json")["edits"]["cuts"])
    before = _doc(proof["folder"] / "the-old-town.alignment.json")
    after = _doc(proof["again"] / "the-old-town.alignment.json")
    for s, t in zip(before["sentences"], after["sentences"], strict=True):
        if s["start"] is not None and t["start"] is not None:
            assert tmap(s["start"]) == pytest.approx(t["start"], abs=0.1), s["text"]
    steps = [abs(tmap(w["start"]) - v["start"]) for w, v in
             zip(before["words"], after["words"], strict=True)
             if w["start"] is not None and v["start"] is not None]
    assert statistics.median(steps) <= 0.05
    assert sum(d <= 0.1 for d in steps) >= 0.9 * len(steps)
    # and what was published is that mapping: the SRT's cue starts are mapped sentence starts
    import srt

    cues = list(srt.parse((proof["folder"] / "the-old-town.edited.srt").read_text("utf-8")))
    starts = {round(tmap(s["start"]), 3) for s in before["sentences"] if s["start"] is not None}
    assert all(any(abs(c.start.total_seconds() - x) <= 0.1 for x in starts) for c in cues
               if c.start.total_seconds() > 1.0)
    chapters = _doc(proof["folder"] / "the-old-town.edited.chapters.json")["chapters"]
    assert chapters[0]["startTime"] == 0.0 and chapters[-1]["endTime"] <= after["words"][-1][
        "end"] + 2.0


@slow
def test_no_click_at_a_cut(proof) -> None:
    from audio_pipeline.media.decoder import decode

    audio = decode(proof["folder"] / "the-old-town.edited.mp3")
    x = audio.samples.mean(axis=1)
    tmap = TimeMap.of(_doc(proof["folder"] / "the-old-town.edited.json")["edits"]["cuts"])
    typical = float(np.percentile(np.abs(np.diff(x)), 99))
    for s in tmap.starts:
        join = int(round(tmap(s) * audio.sample_rate))
        assert _max_step(x, join, radius=int(0.02 * audio.sample_rate)) <= typical


@slow
def test_render_applies_a_hand_changed_edit_list_without_transcribing(proof) -> None:
    folder = proof["work"] / "review"
    shutil.copytree(proof["folder"], folder)
    path = folder / "the-old-town.edits.json"
    doc = _doc(path)
    before = _doc(folder / "the-old-town.edited.json")["edits"]["removed"]
    pause = next(c for c in doc["cuts"] if c["reason"] == "long_pause")
    pause["keep"] = 3.0  # a longer pause left in: 2 s less removed
    doc["cuts"] = [c for c in doc["cuts"] if c["reason"] != "retake"]  # the retake kept
    doc["cuts"].append({"start": 0.1, "end": 0.5, "reason": "manual"})  # a cut added
    path.write_text(json.dumps(doc), encoding="utf-8")
    recording_bytes = proof["recording"].read_bytes()
    result = proof["runner"].invoke(cli_main(), ["render", str(folder)])
    assert result.exit_code == 0, result.output
    rendered = _doc(folder / "the-old-town.edited.json")["edits"]
    assert len(rendered["cuts"]) == 2
    retake = next(c for c in _doc(proof["folder"] / "the-old-town.edits.json")["cuts"]
                  if c["reason"] == "retake")
    expected = before - (retake["end"] - retake["start"]) - 2.0 + 0.4
    assert rendered["removed"] == pytest.approx(expected, abs=0.1)
    assert proof["recording"].read_bytes() == recording_bytes  # never modified
    doc["cuts"].append({"start": 0.2, "end": 0.3, "reason": "manual"})
    path.write_text(json.dumps(doc), encoding="utf-8")
    bad = proof["runner"].invoke(cli_main(), ["render", str(folder)])
    assert bad.exit_code == 1 and "overlaps" in bad.output
    assert len(bad.output.strip().splitlines()) == 1
