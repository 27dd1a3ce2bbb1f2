"""Narrations in six languages through the real pipeline, told nothing about the language.

Each article in tests/fixtures/languages is read by espeak-ng's voice for its language,
with one sentence left out and one word changed: the language must be detected (from
the article, confirmed by the audio) and carried by the tags and transcripts; the English
default model must hand over to the bundled multilingual one; the skip and the changed
word must be found; and nothing else may be flagged "to fix" beyond the house limit of
one false flag per five minutes, counted over all the readings together.

What the readings score (coverage of what was read, each defect found, false flags) is
printed as a table: ``pytest -s tests/test_languages_e2e.py``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import synthesize

from audio_pipeline.align.source import parse_source
from audio_pipeline.align.verdict import is_to_fix
from audio_pipeline.cli import cli
from audio_pipeline.metadata.tag_readback import read_tags
from audio_pipeline.types import NarrationIssue

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "languages"
LANGUAGES = sorted(p.stem for p in FIXTURES.glob("*.md"))
ISO_639_2 = {"fr": "fra", "de": "deu", "es": "spa", "it": "ita", "pt": "por", "ru": "rus"}
FALSE_FLAGS_PER_5_MIN = 1.0


@dataclass(frozen=True)
class Reading:
    code: str
    duration: float
    coverage: float  # of the article words the narrator read
    language: str
    tag_language: str
    skip_found: bool
    substitution_found: bool
    false_flags: list[str]
    notices: str


def _script(code: str) -> tuple[str, str, str, str]:
    """The text espeak reads: the article less one sentence, with one word changed."""
    source = parse_source(FIXTURES / f"{code}.md", code)
    body = [s for s in source.sentences if s.kind == "sentence"]
    skipped = body[len(body) // 2]
    changed_in = body[len(body) // 2 + 2]
    original = max((w.text for w in source.words[changed_in.first_word : changed_in.last_word + 1]),
                   key=len)
    replacement = max((w.text for w in source.words[body[0].first_word : body[0].last_word + 1]
                       if w.text.lower() != original.lower()), key=len)
    read = []
    for s in source.sentences:
        if s.index == skipped.index:
            continue
        text = s.text
        if s.index == changed_in.index:
            text = re.sub(rf"\b{re.escape(original)}\b", replacement, text, count=1)
        read.append(text)
    return " ".join(read), skipped.text, original, replacement


@pytest.fixture(scope="module")
def readings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Reading]:
    out: dict[str, Reading] = {}
    for code in LANGUAGES:
        work = tmp_path_factory.mktemp(code)
        text, skipped, original, replacement = _script(code)
        wav = synthesize(text, work / f"{code}.wav", speed=150, voice=code)
        result = CliRunner().invoke(cli, [
            "process", str(wav), "--source", str(FIXTURES / f"{code}.md"),
            "--title", f"Test {code}", "--out", str(work / "out"), "--slug", code,
        ])
        assert result.exit_code == 0, result.output
        folder = work / "out" / code
        summary = json.loads((folder / f"{code}.result.json").read_text(encoding="utf-8"))
        alignment = json.loads((folder / f"{code}.alignment.json").read_text(encoding="utf-8"))
        transcript = json.loads((folder / f"{code}.json").read_text(encoding="utf-8"))
        to_fix = [i for i in alignment["issues"] if is_to_fix(NarrationIssue(**i))]
        skip_found = any(i["type"] == "skipped" and _overlap(i["expected"], skipped)
                         for i in to_fix)
        sub_found = any(i["type"] == "substituted" and original.lower() in i["expected"].lower()
                        for i in to_fix)
        false = [f"{i['type']}: {i['expected']!r} heard {i['heard']!r}" for i in to_fix
                 if not (i["type"] == "skipped" and _overlap(i["expected"], skipped))
                 and not (i["type"] == "substituted" and original.lower() in
                          i["expected"].lower())]
        words = alignment["words"]
        skipped_words = set(skipped.split())
        read_words = [w for w in words if w["text"] not in skipped_words]
        coverage = sum(w["heard"] is not None for w in read_words) / len(read_words)
        out[code] = Reading(
            code, summary["duration"], coverage, transcript["language"],
            str(read_tags(folder / f"{code}.mp3").language), skip_found, sub_found, false,
            result.output,
        )
    print("\nlanguage  minutes  coverage  skip  substitution  false flags")
    for r in out.values():
        print(f"{r.code:8}  {r.duration / 60:7.2f}  {r.coverage:8.1%}  {r.skip_found!s:4}  "
              f"{r.substitution_found!s:12}  {len(r.false_flags)} {r.false_flags}")
    return out


def _overlap(expected: str, skipped: str) -> bool:
    a, b = set(expected.lower().split()), set(skipped.lower().split())
    return len(a & b) >= 0.5 * min(len(a), len(b))


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_language_is_detected_and_carried(readings: dict[str, Reading], code: str) -> None:
    r = readings[code]
    assert r.language == code, r.notices
    assert r.tag_language == ISO_639_2[code]
    # the default model is English-only: the bundled multilingual one must take over
    assert "multilingual" in r.notices, r.notices


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_injected_skip_and_change_are_found(readings: dict[str, Reading], code: str) -> None:
    r = readings[code]
    assert r.skip_found, r
    assert r.substitution_found, r


def test_false_flags_stay_under_the_house_limit(readings: dict[str, Reading]) -> None:
    minutes = sum(r.duration for r in readings.values()) / 60
    flags = [f for r in readings.values() for f in r.false_flags]
    assert len(flags) <= FALSE_FLAGS_PER_5_MIN * max(1.0, minutes / 5), flags
