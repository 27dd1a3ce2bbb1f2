"""Verify narration issues against the audio, with the model that transcribed it.

Whisper mishears names and rare words; a narrator who misreads says something else
clearly. For every candidate issue (substituted, inserted, skipped) this builds the audio
window around it and two full texts of that window, the article's and what was heard,
and asks a ``SpanScorer`` (the Whisper decoder, teacher-forced: ``transcribe.scoring``)
how much less likely, per token, the article's text is. A real misread, skip or ad-lib
makes the article's text clearly less likely (a positive ratio of a few nats per token);
a mishearing leaves the two about equally likely. The ratio goes into the confidence
next to the text features, so only verified issues reach the pickup list.

This module holds no model: the scorer is handed in (as stable-ts hands its aligner
functions), so align stays below transcribe and the rules can be tested without one.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from audio_pipeline.types import NarrationIssue, Word

EDGE_MARGIN = 0.6  # seconds of gap kept beyond the first / last word of a window
MAX_WINDOW = 30.0  # Whisper's encoder sees exactly 30 s; longer windows cannot be scored
CONTEXT = 2.0  # s of heard words either side of the span, shared by both texts


@dataclass(frozen=True)
class Window:
    """The audio scored: [start, end] seconds of the file."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


class SpanScorer(Protocol):
    """(window, article text, heard text) -> per-token log-likelihood ratio, heard minus
    article: positive when the audio says the heard text rather than the article's.
    ``head`` limits the comparison to the first tokens where the texts part;
    ``acoustic`` removes the model's preference for one text as text (its prior)."""

    def __call__(self, window: Window, article: str, heard: str,
                 head: int | None = None, acoustic: bool = False) -> float: ...


def join_words(texts: Sequence[str]) -> str:
    """Transcript words back into text, as Whisper wrote it.

    The project's Words are stripped of the leading space Whisper gave them, and Whisper
    splits "fine-tune" into "fine" + "-tune" (a hyphen is merged into the word after
    it, with no space). Joining with spaces would score " fine -tune", a spelling the
    model never writes (several nats per hyphen, on one side only when the hyphenated
    word is in the span).
    """
    out = ""
    for text in texts:
        text = text.strip()
        if not text:
            continue
        out += text if (not out or text.startswith("-")) else " " + text
    return out


_TRAILING = ".,;:!?…"
_SENTENCE_END = ".?!…"
# Words an article capitalises only because a sentence starts with them; any other
# capitalised word may be a name ("Anthropic", "Amodei") and keeps its capital.
_FUNCTION_WORDS = frozenset(
    "a an the and or but of to in on at for by with as is are was were be it its this that"
    " these those he she we they you her his him them our their there then than so if"
    " not no what when where which who how one some many most".split()
)


def match_style(article: str, heard: str, before: str = "") -> str:
    """The article's words in the transcript's style, for the place they go in it.

    Both candidates share the transcript's context, so "schedule The warmup" (article,
    capitalised as a sentence start in the article) against "schedule that warm up"
    (heard) would charge the article for Whisper's choice of where sentences end: case
    and punctuation are not what is being verified. So:

    - the trailing punctuation is the heard span's (when something was heard);
    - the first letter is capitalised after a sentence end in ``before`` (the context
      text preceding the span); after other context, or at the window's start
      following the heard span's case, a capitalised *function word* is lowercased.
      Names, acronyms and mixed case (RLHF, iPhone) keep their case: lowercasing
      "Anthropic" because Whisper heard "and traffic" would charge the article for it.
    """
    article, heard, before = article.strip(), heard.strip(), before.strip()
    if not article:
        return article
    first = article.split()[0]
    if article[0].isalpha():
        if before:
            upper = before[-1] in _SENTENCE_END
        elif heard and heard[0].isalpha():
            upper = heard[0].isupper()
        else:
            upper = None  # nothing to follow
        if upper:
            article = article[0].upper() + article[1:]
        elif upper is False and first.strip(_TRAILING).lower() in _FUNCTION_WORDS:
            if len(first) == 1 or first[1:].islower():  # "The", "A"; not "THE"
                article = article[0].lower() + article[1:]
    if heard:
        article = article.rstrip(_TRAILING) + heard[len(heard.rstrip(_TRAILING)) :]
    return article


def build_candidates(
    words: Sequence[Any],
    h0: int,
    h1: int,
    article: str,
    duration: float,
    *,
    context: float = CONTEXT,
    style: bool = True,
) -> tuple[Window, str, str]:
    """The window around heard words ``words[h0:h1]`` and its two candidate texts.

    ``words`` are the transcript's timed words (anything with ``text``, ``start``,
    ``end``: audio_pipeline.types.Word), ``article`` is the article's text for that span
    ("" for an ad-lib the article lacks; for a skip, h0 == h1 marks where it belongs),
    ``duration`` the file's length in seconds. Returns (window, article candidate, heard
    candidate): both share the heard words within ``context`` seconds either side, so
    they differ only in the span (the article's words restyled by match_style unless
    ``style`` is False).

    Why this shape: the window must contain *exactly* the speech the candidates
    describe. A candidate that stops before speech in the window ends is charged for
    ``<|endoftext|>`` while audio remains, and one that runs past the window's speech
    is charged for words it cannot hear, whichever candidate is right. So:

    - the span covers everything between the last word before it and the first word
      after it (the file's edges when there is none), not the times Whisper gave the
      span's own words: those are unreliable exactly where Whisper went wrong (a
      hallucinated "Mass" can be timed 0.3 s long over 6 s of speech), and the
      article's words, if read, lie somewhere in that gap;
    - the window's outer edges are in the gaps between whole words (halfway to the
      first word left out, since Whisper's word times are approximate, at most
      EDGE_MARGIN s), never through a word;
    - when that is over 30 s, whole context words are dropped until it fits.
    """
    if not 0 <= h0 <= h1 <= len(words):
        raise ValueError(f"bad word span {h0}:{h1} of {len(words)}")
    zone_start = words[h0 - 1].end if h0 > 0 else 0.0
    zone_end = words[h1].start if h1 < len(words) else duration
    zone_end = max(zone_start, min(zone_end, duration))
    b = h0
    while b > 0 and words[b - 1].start >= zone_start - context:
        b -= 1
    a = h1
    while a < len(words) and words[a].end <= zone_end + context:
        a += 1

    def edges(b: int, a: int) -> tuple[float, float]:
        start, end = zone_start, zone_end
        if b < h0:  # context words before: halfway into the gap before the first
            start = words[b].start - EDGE_MARGIN
            if b > 0:
                start = max(start, (words[b - 1].end + words[b].start) / 2)
        if a > h1:
            end = words[a - 1].end + EDGE_MARGIN
            if a < len(words):
                end = min(end, (words[a - 1].end + words[a].start) / 2)
        return max(0.0, start), min(duration, end)

    start, end = edges(b, a)
    # too long for one encoder pass: drop whole context words (never cut one), from
    # the side with more context, until it fits; the span itself must fit
    while end - start > MAX_WINDOW and (b < h0 or a > h1):
        if a > h1 and (b == h0 or end - zone_end >= zone_start - start):
            a -= 1
        else:
            b += 1
        start, end = edges(b, a)
    if end - start > MAX_WINDOW:
        raise ValueError(f"span of {end - start:.1f} s exceeds Whisper's {MAX_WINDOW:.0f} s")
    before = [w.text for w in words[b:h0]]
    after = [w.text for w in words[h1:a]]
    heard = [w.text for w in words[h0:h1]]
    if style:
        article = match_style(article, join_words(heard), join_words(before))
    return (
        Window(start, end),
        join_words([*before, article, *after]),
        join_words([*before, *heard, *after]),
    )




# --------------------------------------------------------------------------- issues

VERIFIED = ("substituted", "inserted", "skipped")
# (at or below: the article's text is as likely as the heard text; at or above: the audio
# clearly says something else), nats per token. A substitution needs more: Whisper's
# sound-alike guesses ("fed" heard as "and") already score ~3 on correctly read text,
# while a missing or extra phrase leaves the article's text far less likely (5-10).
SKIP_HEAD = 3  # tokens: a skip is decided where the texts part (see transcribe.scoring)
CALIBRATION = {"substituted": (2.0, 5.0), "inserted": (1.0, 4.0), "skipped": (1.0, 4.0)}
# How much the text features (dissimilarity, Whisper's word probability, length) weigh
# against the model's evidence: the evidence decides, the features break near-ties.
FEATURE_WEIGHT = 0.3


def evidence(kind: str, llr: float) -> float:
    """The model's ratio as a confidence in [0, 1], linear between the type's bounds."""
    floor, sure = CALIBRATION[kind]
    return max(0.0, min(1.0, (llr - floor) / (sure - floor)))


def verified_confidence(kind: str, features: float, llr: float) -> float:
    return FEATURE_WEIGHT * features + (1.0 - FEATURE_WEIGHT) * evidence(kind, llr)


def verify_issues(words: Sequence[Word], issues: Sequence[NarrationIssue], duration: float,
                  scorer: SpanScorer,
                  article_words: Sequence[Word] | None = None) -> list[NarrationIssue]:
    """Every substituted, inserted and skipped issue scored against the audio; its
    confidence becomes ``verified_confidence`` and ``llr`` records the evidence. An issue
    that cannot be scored (a span over 30 s, a text longer than the decoder takes) keeps
    its confidence and ``llr`` None; one that already has an ``llr`` (align.confirm
    asked it a better question) keeps it. ``words`` are the transcript words the issues were
    timed from. ``article_words`` (the article's words as aligned, in time order) are
    the context of an "inserted" span: the window is scored as the article's text with
    and without the extra words, so Whisper's garbling of the words around a fragment
    ("I went in I-Team" for "By 2019 the network") weighs on both texts alike; the
    question is only whether the audio holds words the article does not."""
    out = []
    for issue in issues:
        if issue.type not in VERIFIED or issue.llr is not None:  # not asked, or answered
            out.append(issue)
            continue
        h0, h1 = heard_span(words, issue)
        context: Sequence[Word] = words
        article = "" if issue.type == "inserted" else issue.expected
        if issue.type == "inserted" and article_words is not None:
            context, h0, h1, article = _in_article_context(article_words, words[h0:h1], issue)
        try:
            window, article_text, heard_text = build_candidates(
                context, h0, h1, article, duration)
            llr = float(scorer(window, article_text, heard_text,
                               head=SKIP_HEAD if issue.type == "skipped" else None,
                               acoustic=issue.type == "substituted"))
        except ValueError:
            out.append(issue)
            continue
        out.append(dataclasses.replace(
            issue, confidence=round(verified_confidence(issue.type, issue.confidence, llr), 4),
            llr=round(llr, 3)))
    return out


def _in_article_context(article_words: Sequence[Word], extra: Sequence[Word],
                        issue: NarrationIssue) -> tuple[list[Word], int, int, str]:
    """The extra speech among the article's words around it: (context, h0, h1, the
    article's text in its place). That text is the article words timed inside the
    span: Whisper wrote nothing for them (they were placed there by their neighbours),
    so if they were read, the extra speech is them garbled ("'est vrai aussi que je"
    for "réussite"), and the question is whether the audio holds more than they say."""
    eps = 1e-3
    before = [w for w in article_words if w.end <= issue.start + eps]
    after = [w for w in article_words if w.start >= issue.end - eps]
    inside = [w for w in article_words
              if w.end > issue.start + eps and w.start < issue.end - eps]
    return ([*before, *extra, *after], len(before), len(before) + len(extra),
            " ".join(w.text for w in inside))


def heard_span(words: Sequence[Word], issue: NarrationIssue) -> tuple[int, int]:
    """The transcript words [h0, h1) an issue is about: those inside its interval (none
    for a skip, which sits between two words)."""
    eps = 1e-3
    if issue.type == "skipped":
        h = sum(1 for w in words if w.end <= issue.start + eps)
        return h, h
    inside = [k for k, w in enumerate(words)
              if w.start >= issue.start - eps and w.end <= issue.end + eps]
    if not inside:
        h = sum(1 for w in words if w.end <= issue.start + eps)
        return h, h
    return inside[0], inside[-1] + 1


class TimedScorer:
    """A SpanScorer that counts its calls and the seconds they took (the cost of
    verification, reported next to transcription's)."""

    def __init__(self, inner: SpanScorer):
        self.inner = inner
        self.calls = 0
        self.seconds = 0.0

    def __call__(self, window: Window, article: str, heard: str,
                 head: int | None = None, acoustic: bool = False) -> float:
        began = time.perf_counter()
        try:
            return self.inner(window, article, heard, head=head, acoustic=acoustic)
        finally:
            self.calls += 1
            self.seconds += time.perf_counter() - began


