# ruff: noqa: E501 - the article is data: one sentence a line reads best
"""Build a long (15 min+) synthetic narration with known defects, for alignment fidelity.

    /work/main/.venv/bin/python make_long.py [OUT_DIR]     # default: ./long next to this file

Same approach as tests/fixtures/align/make_fixtures.py (copied, not imported): every chunk
(heading, sentence, ad-lib, retake fragment, intro, outro) is spoken separately by
espeak-ng, trimmed to its speech and concatenated with known silences, so each chunk's
true start/end is exact. The voice and speed change between sections (en-us / en-gb,
150-175 wpm). Written to OUT_DIR:

- ``article.md``: the article (markdown, ``#``/``##`` headings), ``summary.txt``;
- ``long.mp3``: 16 kHz mono 24 kb/s, ending right on its last word;
- ``long.truth.json``: every chunk (role, text, what espeak was given, true start/end,
  pause after it, voice) and the expected issues, with make_fixtures' conventions:
  intro/outro/inserted = the chunk's span; repeated = first attempt start -> kept
  reading start; skipped = between what was read before and after it (``heading: true``
  for a skipped heading); substituted = the sentence's span with ``expected``/``heard``
  (plus ``word_start``/``word_end``, an estimate of where the changed words fall, from
  the durations of the spoken prefix); long_pause = the silence.

Deterministic: fixed pauses from a seeded RNG, espeak-ng and a bit-exact ffmpeg encode.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "long"
NAME = "long"
RATE = 22050
LEAD_SILENCE = 0.6

TITLE = "The Pipes Beneath Millbrook"

# (heading, [paragraph, ...]); each paragraph is a list of sentences. The first section's
# heading is the article's h1, the others are h2.
SECTIONS: list[tuple[str, list[list[str]]]] = [
    (
        TITLE,
        [
            [
                "Most people never think about the water that arrives when they turn a tap.",
                "In Millbrook, a river town of about 38,000 people, that changed in the spring "
                "of 2019.",
                "A main burst under Harbor Street, flooding twelve basements and cutting off the "
                "hospital for nine hours.",
                "What followed was a six-year effort to rebuild a system that nobody fully "
                "understood.",
                "This is the story of how the town did it, who paid for it, and what other "
                "places can learn from it.",
            ],
            [
                "The account below draws on council minutes, utility reports and interviews with more than twenty people.",
                "Some of them asked that only their first names be used.",
                "Where figures differ between sources, the article uses the utility's audited numbers.",
            ],
        ],
    ),
    (
        "A System Built in Layers",
        [
            [
                "The oldest pipes in Millbrook were laid in 1887, when the town drew its water "
                "from a spring on Cedar Hill.",
                "They were made of cast iron and joined with lead, a common practice at the time.",
                "In the 1920s the town added a filtration plant beside the Ashford River.",
                "After the Second World War, new neighborhoods brought ductile iron, then "
                "asbestos cement, and finally plastic.",
                "By 2019 the network held roughly 310 miles of pipe of at least seven different "
                "materials.",
            ],
            [
                '"Every generation fixed the problem in front of it and left the map to the next '
                'one," said Dr. Amara Okafor, the engineer who later led the rebuild.',
                "Some records existed only on paper cards in the basement of the public works "
                "building.",
                "Others had been lost in a fire in 1964.",
                "In several districts, nobody knew for certain which way the water flowed.",
                "That uncertainty turned out to be the most expensive problem of all.",
            ],
            [
                "The spring on Cedar Hill was abandoned in 1912 after an outbreak of typhoid killed fourteen residents.",
                "From then on, every drop came from the river and passed through sand filters before reaching the mains.",
                "Engineers still find wooden pipes from the nineteenth century when they dig near the old market square.",
                "One of them, a hollowed elm log, now sits in a glass case at the town museum.",
            ],
        ],
    ),
    (
        "The Night Harbor Street Failed",
        [
            [
                "The break on Harbor Street began a little after two in the morning on a cold "
                "Thursday in March.",
                "A twenty-four inch main, installed in 1931, split along a seam nearly three "
                "meters long.",
                "Within an hour the pressure in the eastern zone had fallen by 60%.",
                "Firefighters at Station 3 reported that their hydrants were coughing air.",
            ],
            [
                "The night supervisor, Luis Ferreira, had to close valves by hand because the "
                "remote controls had failed years earlier.",
                "He later admitted that two of the valves on his list did not exist.",
                "By dawn the hospital was running on bottled water and a borrowed tanker truck.",
                "The repair itself took three days and cost about $410,000.",
                "The investigation that followed took much longer, and it changed how the town "
                "thought about its pipes.",
            ],
            [
                "Water rose to the windows of parked cars on the lower end of the street.",
                "A local radio station, WMBK, broadcast updates every half hour until the pressure returned.",
                "Neighbors carried buckets to elderly residents in the flats above the pharmacy.",
                "By the weekend, the council had declared a local emergency and asked the state for help.",
            ],
        ],
    ),
    (
        "Counting What Was Lost",
        [
            [
                "The first question the council asked was simple: how much water was the town "
                "losing?",
                "Nobody could answer it.",
                "The utility treated about 5.2 million gallons a day but billed customers for "
                "only 3.4 million.",
                "The gap, known in the industry as non-revenue water, was close to 35%.",
                "Part of it was leakage, part was broken meters, and part was water used by the "
                "town itself and never recorded.",
            ],
            [
                "Okafor's team installed acoustic sensors on more than 900 hydrants to listen for "
                "the hiss of hidden leaks.",
                "The sensors send a short recording to a server every night, where software "
                "compares it with the night before.",
                "In the first month they found 143 leaks, most of them small and many of them "
                "decades old.",
                "One leak under a school playground had been running, by the team's estimate, "
                "since the late 1990s.",
                '"We were paying to clean water and then pouring it back into the ground," said '
                "councillor Helen Marsh.",
            ],
            [
                "The national average for utilities of a similar size is around 20%, according to the American Water Works Association.",
                "Reaching that figure would save Millbrook enough water to supply another 9,000 people.",
                "It would also cut the plant's electricity bill, because every lost gallon has already been pumped twice.",
                "The first target was modest: a reduction of five percentage points within three years.",
            ],
        ],
    ),
    (
        "Mapping the Invisible",
        [
            [
                "Before anything could be replaced, the town needed a map it could trust.",
                "A small team spent eighteen months building a geographic information system, or "
                "GIS, of every pipe, valve and hydrant.",
                "They scanned 11,000 paper cards and checked them against old excavation records.",
                "Where the records disagreed, crews dug test holes, a process the engineers call "
                "potholing.",
                "Each test hole cost about $1,800 and answered one question about one spot.",
            ],
            [
                "The team used ground-penetrating radar where digging was impossible, for example "
                "under the railway.",
                "The finished map showed 41 dead ends, where water sat still for days and lost "
                "its chlorine.",
                "It also revealed about 2,600 lead service lines, the small pipes that connect "
                "houses to the main.",
                "That number alarmed everyone who saw it.",
            ],
            [
                "The work was slow, and it was not glamorous.",
                "Jonah Whitfield, a surveyor who joined the team in 2020, estimates that he opened more than 3,000 valve boxes by hand.",
                "Many were buried under asphalt, and a few were found beneath garden sheds.",
                "His favorite discovery was a valve stamped with the year 1903 that still turned smoothly.",
            ],
        ],
    ),
    (
        "The Lead Question",
        [
            [
                "Lead is a neurotoxin, and there is no safe level of exposure for children.",
                "Federal rules from the EPA require utilities to test water in the homes most at "
                "risk.",
                "Millbrook had passed those tests for years, but only because the samples came "
                "mostly from newer houses.",
                "When the sampling plan was corrected in 2020, eleven percent of homes tested "
                "above the action level of fifteen parts per billion.",
                "The town responded by adjusting its water chemistry to form a protective scale "
                "inside old pipes.",
            ],
            [
                "This treatment, called orthophosphate dosing, is widely used and costs "
                "relatively little.",
                "It reduced lead levels by more than half within a year.",
                "Yet engineers agreed that chemistry only bought time.",
                '"The only permanent fix for a lead pipe is a shovel," Okafor told a packed '
                "meeting at Lincoln Elementary.",
                "The council voted seven to two to replace every lead line within ten years.",
            ],
            [
                "Parents in the Riverside district were offered free blood tests for children under six.",
                "Out of 1,214 children tested, 38 showed elevated levels, a rate the county health officer called unacceptable.",
                "The town distributed water filters certified to the NSF 53 standard to every household with a known lead line.",
                "Pregnant women and families with infants were told to use filtered or bottled water for drinking and cooking.",
            ],
        ],
    ),
    (
        "Paying for Pipes",
        [
            [
                "Replacing pipes is expensive, and almost none of the work is visible once it is "
                "finished.",
                "The full plan was estimated at $186 million, roughly $4,900 per resident.",
                "About a third came from a state revolving fund, which lends money at low "
                "interest for water projects.",
                "Another $22 million came from federal grants tied to the Bipartisan "
                "Infrastructure Law of 2021.",
                "The rest had to come from customers.",
            ],
            [
                "Water rates rose by 8% a year for five years, a total increase of nearly 47%.",
                "To protect poorer households, the council created a discount for families "
                "earning less than twice the poverty line.",
                "Within two years, about 1,900 households had enrolled.",
                "Critics, including the local taxpayers' association, argued that the town should "
                "have sold the system to a private operator.",
                "The council rejected that idea after studying sales in three other cities.",
            ],
            [
                "Borrowing was cheaper than it looked, because interest rates were low when the first bonds were sold.",
                "The town issued $60 million in revenue bonds in 2021 at an average rate of 2.4%.",
                "Moody's later raised Millbrook's credit rating, citing the council's willingness to raise rates.",
                "The treasurer, Grace Adeyemi, called the upgrade a rare piece of good news in a difficult decade.",
            ],
        ],
    ),
    (
        "Digging Without Destroying",
        [
            [
                "Open trenches shut streets, hurt shops and anger everyone.",
                "For many of the larger mains, crews used a method called pipe bursting.",
                "A steel head is pulled through the old pipe, breaking it apart while dragging a "
                "new polyethylene pipe behind it.",
                "Only two pits are needed, one at each end of a block.",
                "For the worst cast iron mains, the town chose cured-in-place lining instead.",
            ],
            [
                "A felt tube soaked in resin is inserted into the pipe and hardened with hot "
                "water or ultraviolet light.",
                "The result is a smooth new pipe inside the old one, with a design life of about "
                "fifty years.",
                "The work went fastest in summer, when schools were closed and traffic was light.",
                "In 2022 alone, contractors replaced or lined 23 miles of main.",
                "Priya Natarajan, who owns a bakery on Harbor Street, said the crews were gone "
                "before her customers noticed.",
            ],
            [
                "Lead service lines required a different approach, since each one served a single house.",
                "Crews used a small machine called a mole to pull new copper tubing from the street to the basement.",
                "A typical replacement took four hours and cost the homeowner nothing.",
                "On a good day, a crew of five could finish three houses on the same block.",
            ],
        ],
    ),
    (
        "Sensors, Software and SCADA",
        [
            [
                "The rebuild was not only about pipes.",
                "The old supervisory control and data acquisition system, known as SCADA, dated "
                "from 1998 and ran on a single computer.",
                "Its replacement connects 64 pumping stations, tanks and valves to a control "
                "room at the treatment plant.",
                "Operators can now see pressure and flow across the whole network, updated every "
                "fifteen seconds.",
                "A hydraulic model, calibrated against those readings, predicts what will happen "
                "when a valve is closed.",
            ],
            [
                "The team also added pressure management, lowering pressure at night when demand "
                "is low.",
                "Lower pressure means fewer breaks, since old pipes fail most often under stress.",
                "Main breaks fell from 212 in 2018 to 71 in 2024.",
                "The new system also brought new risks, including cyberattacks on networked "
                "controls.",
                "The utility now runs an annual security drill with the state's emergency "
                "management agency.",
            ],
            [
                "Much of the new software was written by a firm in Ohio, but the data belongs to the town.",
                "Every reading is stored for seven years, which has already helped in two insurance disputes.",
                "Operators are also training a machine learning model to spot unusual patterns in pump vibration.",
                "So far it has predicted two bearing failures about a week before they would have happened.",
            ],
        ],
    ),
    (
        "What the Neighbors Said",
        [
            [
                "Public meetings were often tense in the early years.",
                "Residents of the Riverside district, where most of the lead lines were found, "
                "felt they had been ignored for decades.",
                '"We were told the water was fine, and we believed it," said Marcus Bell, a '
                "retired teacher who organized a tenants' group.",
                "The town began publishing test results for every street on a public website, "
                "updated weekly.",
                "It also hired four community liaisons who spoke Spanish, Portuguese and "
                "Vietnamese.",
            ],
            [
                "Complaints about the project fell by half once people could see when crews "
                "would arrive.",
                "Not everyone was satisfied.",
                "Some homeowners refused to let crews onto their property, delaying about 140 "
                "replacements.",
                "A state law passed in 2023 finally allowed utilities to replace the private "
                "side of a service line without a lawsuit.",
            ],
            [
                "The liaisons went door to door with printed schedules and a phone number that a person always answered.",
                "They also explained why some streets were dug up twice, first for water and then for gas.",
                "In a survey in 2024, 72% of Riverside residents said they trusted the utility, up from 31% four years earlier.",
                "That shift, more than any engineering milestone, is what Okafor says she is proudest of.",
            ],
        ],
    ),
    (
        "Lessons for Other Towns",
        [
            [
                "Millbrook is not unusual, and that is the point.",
                "The American Society of Civil Engineers gave the country's drinking water a "
                "grade of C minus in its 2021 report card.",
                "Thousands of small systems face the same mix of old pipes, missing records and "
                "tight budgets.",
                "Okafor lists three lessons that she believes apply almost everywhere.",
            ],
            [
                "First, measure before you dig, because a reliable map saves more money than any "
                "single repair.",
                "Second, be honest about lead, even when the numbers are embarrassing.",
                "Third, spread the cost fairly, and say plainly who pays and why.",
                "She also warns against treating technology as a cure.",
                '"Sensors tell you where the water goes, but people decide what to do about '
                'it," she said.',
            ],
            [
                "Other engineers are less optimistic about how widely Millbrook's approach can be copied.",
                "Professor Daniel Kowalski of the state university points out that many rural systems have no engineer on staff at all.",
                "For them, he argues, regional partnerships that share equipment and expertise may be the only realistic option.",
                "Several neighboring towns have already asked to borrow Millbrook's acoustic sensors.",
            ],
        ],
    ),
    (
        "The Work That Remains",
        [
            [
                "By the end of 2024, Millbrook had replaced 1,750 of its lead service lines, "
                "about two thirds of the total.",
                "Non-revenue water had fallen to 17%, half of what it was five years earlier.",
                "The hospital now has a second feed from the western zone, so a single break can "
                "no longer cut it off.",
                "Still, more than 150 miles of pipe are over eighty years old.",
                "At the current pace, the last of them will not be replaced until the 2040s.",
            ],
            [
                "The plant on the Ashford River also needs attention.",
                "Its clarifiers date from 1974, and the state has warned that stricter limits on chemicals known as PFAS are coming.",
                "Meeting them could require a new treatment stage costing another $30 million.",
                "Okafor says the town will start planning now rather than wait for the next emergency.",
            ],
            [
                "The town expects to spend about $9 million a year simply to keep up.",
                "Luis Ferreira, now the utility's operations manager, keeps a piece of the "
                "Harbor Street main on his desk.",
                "It is a reminder, he says, that the system always tells you what it needs, "
                "sooner or later.",
                "The only question is whether anyone is listening.",
            ],
        ],
    ),
]

SUMMARY = (
    "After a water main burst in 2019, the river town of Millbrook spent six years mapping, "
    "measuring and rebuilding its pipes, replacing lead lines and cutting its losses by half."
)

INTRO = (
    "Hello, and welcome to Field Notes. This week, an article about the water under our streets."
)
OUTRO = "That's the end of the article. Thanks for listening, and see you next week."

# Voice and speed (words per minute) of each section, so nothing is tuned to one voice.
VOICES = [
    ("en-us", 165),
    ("en-gb", 155),
    ("en-us", 172),
    ("en-gb", 160),
    ("en-us", 150),
    ("en-gb", 175),
    ("en-us", 158),
    ("en-gb", 168),
    ("en-us", 162),
    ("en-gb", 152),
    ("en-us", 170),
    ("en-gb", 163),
]

# Defects, keyed by the start of the heading/sentence they touch:
#   skip: not read;   sub: (article words, words read instead);   pause_after: s of silence
#   retake: (abandoned first attempt, apology or None), then the full reading
#   adlib_after: unscripted speech right after the sentence
DEFECTS: dict[str, dict] = {
    # the title section
    "What followed was": {"sub": ("rebuild", "replace")},
    "This is the story": {"adlib_after": "I really enjoyed reading this one, so let us begin."},
    # A System Built in Layers
    "They were made of cast iron": {
        "sub": ("common practice at the time", "normal habit back then")
    },
    "After the Second World War": {"retake": ("After the Second World War, new", "Sorry, again.")},
    "Some records existed": {"skip": True},
    # The Night Harbor Street Failed
    "The Night Harbor Street Failed": {"skip": True},
    "Within an hour": {"pause_after": 6.0},
    "Firefighters at Station 3": {"sub": ("coughing", "spitting")},
    "He later admitted": {"adlib_after": "You can imagine how that conversation went."},
    # Counting What Was Lost
    "The gap, known in the industry": {"skip": True},
    "Part of it was leakage": {"skip": True},
    "Okafor's team installed": {"sub": ("hiss of hidden leaks", "sound of leaking water")},
    "In the first month": {"retake": ("In the first month they found", None)},
    # Mapping the Invisible
    "They scanned 11,000": {"sub": ("checked", "compared")},
    "Each test hole": {"skip": True},
    "The team used ground-penetrating": {"sub": ("digging was impossible", "nobody could dig")},
    "It also revealed about 2,600": {"pause_after": 8.0},
    # The Lead Question
    "Lead is a neurotoxin": {"adlib_after": "This part of the story still makes me angry."},
    "When the sampling plan": {
        "retake": (
            "When the sampling plan was corrected in 2020, eleven",
            "Sorry, let me start that sentence over.",
        )
    },
    "This treatment, called": {"sub": ("costs relatively little", "is quite cheap")},
    "Yet engineers agreed": {"skip": True},
    # Paying for Pipes
    "Paying for Pipes": {"skip": True},
    "The rest had to come": {"pause_after": 5.5},
    "Water rates rose": {"sub": ("nearly", "almost")},
    "Critics, including": {"retake": ("Critics, including the local taxpayers'", "Again.")},
    "The council rejected": {"skip": True},
    # Digging Without Destroying
    "A steel head is pulled": {"sub": ("breaking it apart", "smashing it")},
    "Only two pits": {"adlib_after": "I watched a crew do this once, and it is remarkably quick."},
    "The result is a smooth": {"skip": True},
    "The work went fastest": {"sub": ("summer", "August")},
    # Sensors, Software and SCADA
    "Operators can now see": {"retake": ("Operators can now see pressure and", "Sorry, again.")},
    "The team also added pressure": {"sub": ("when demand is low", "while everyone sleeps")},
    "Main breaks fell": {"pause_after": 12.0},
    "The new system also brought": {"sub": ("risks", "dangers")},
    # What the Neighbors Said
    "What the Neighbors Said": {"skip": True},
    "It also hired four": {"skip": True},
    "Not everyone was satisfied": {"adlib_after": "To be fair, change is always hard for people."},
    "A state law passed": {"retake": ("A state law passed in 2023 finally", "Sorry, again.")},
    # Lessons for Other Towns
    "First, measure before": {"sub": ("saves more money than", "is worth more than")},
    "Second, be honest": {"sub": ("embarrassing", "terrible")},
    "She also warns": {"skip": True},
    # The Work That Remains
    "Still, more than 150": {"adlib_after": "That figure surprised me when I first read it."},
    "The town expects to spend": {"skip": True},
}

# --------------------------------------------------------------------------- pronunciation

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split()
)
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_TENS_PL = "_ _ twenties thirties forties fifties sixties seventies eighties nineties".split()


def _two(n: int) -> str:
    if n < 20:
        return _ONES[n]
    t, o = divmod(n, 10)
    return _TENS[t] + ("-" + _ONES[o] if o else "")


def _year(m: re.Match[str]) -> str:
    """How a narrator reads a year: 1887 -> eighteen eighty-seven, 1990s -> nineteen nineties."""
    value, plural = int(m.group(1)), bool(m.group(2))
    hi, lo = divmod(value, 100)
    if plural and lo % 10 == 0:
        return f"{_two(hi)} {_TENS_PL[lo // 10] if lo else 'hundreds'}"
    if 2000 <= value <= 2009:
        return "two thousand" + (f" and {_ONES[lo]}" if lo else "")
    return f"{_two(hi)} {'hundred' if lo == 0 else ('oh ' + _ONES[lo]) if lo < 10 else _two(lo)}"


ACRONYMS = {"GIS": "G I S", "EPA": "E P A", "NSF": "N S F", "WMBK": "W M B K"}


def pronounce(text: str) -> str:
    """The text as given to espeak: read the way a human narrator would (years as years,
    "$410,000" as "410,000 dollars", spelled-out acronyms). The article keeps its spelling."""
    text = re.sub(
        r"\$(\d[\d,]*(?:\.\d+)?)( million| billion)?",
        lambda m: f"{m.group(1)}{m.group(2) or ''} dollars",
        text,
    )
    text = re.sub(r"(?<![\d,$])(1[1-9]\d\d|20\d\d)(s)?(?!\d|,\d)", _year, text)
    for k, v in ACRONYMS.items():
        text = re.sub(rf"\b{k}\b", v, text)
    return text


# --------------------------------------------------------------------------- script


def article_markdown() -> str:
    out: list[str] = []
    for k, (heading, paragraphs) in enumerate(SECTIONS):
        out.append(("# " if k == 0 else "## ") + heading)
        out += [" ".join(p) for p in paragraphs]
    return "\n\n".join(out) + "\n"


def _defect(text: str) -> dict:
    hits = [v for k, v in DEFECTS.items() if text.startswith(k)]
    assert len(hits) <= 1, text
    return hits[0] if hits else {}


def script() -> list[dict]:
    rng = random.Random(20240611)

    def pause(lo: float, hi: float) -> float:
        return round(rng.uniform(lo, hi) / 0.05) * 0.05

    texts = [h for h, _ in SECTIONS] + [x for _, ps in SECTIONS for p in ps for x in p]
    assert len(set(texts)) == len(texts), "every heading and sentence must be unique"
    for key in DEFECTS:
        assert sum(t.startswith(key) for t in texts) == 1, key
    used = set()
    chunks: list[dict] = []
    voice, speed = VOICES[0]
    chunks.append({"role": "intro", "text": INTRO, "pause": 1.0, "voice": voice, "speed": speed})
    for si, (heading, paragraphs) in enumerate(SECTIONS):
        voice, speed = VOICES[si]
        v = {"voice": voice, "speed": speed}
        items = [("heading", heading, False)]
        for p in paragraphs:
            items += [("sentence", s, k == len(p) - 1) for k, s in enumerate(p)]
        for k, (role, text, para_end) in enumerate(items):
            d = _defect(text)
            used.update(key for key in DEFECTS if text.startswith(key))
            last_of_section = k == len(items) - 1
            if role == "heading":
                p_after = pause(0.8, 1.0)
            elif last_of_section:
                p_after = pause(1.0, 1.3)
            elif para_end:
                p_after = pause(0.6, 0.8)
            else:
                p_after = pause(0.3, 0.55)
            if d.get("skip"):
                chunks.append({"role": "skip", "text": text, "kind": role})
                continue
            if "retake" in d:
                first, sorry = d["retake"]
                assert text.startswith(first)
                chunks.append(
                    {
                        "role": "retake_first",
                        "text": first,
                        "pause": pause(0.4, 0.6),
                        "source": text,
                        **v,
                    }
                )
                if sorry:
                    chunks.append({"role": "retake_adlib", "text": sorry, "pause": 0.6, **v})
            chunk = {"role": role, "text": text, "pause": d.get("pause_after", p_after), **v}
            if "sub" in d:
                expected, heard = d["sub"]
                assert text.count(expected) == 1, (text, expected)
                chunk["spoken"] = text.replace(expected, heard)
                chunk["misread"] = [expected, heard]
            if "adlib_after" in d:
                chunk["pause"] = pause(0.3, 0.5)
            chunks.append(chunk)
            if "adlib_after" in d:
                chunks.append({"role": "adlib", "text": d["adlib_after"], "pause": p_after, **v})
    assert used == set(DEFECTS), set(DEFECTS) - used
    voice, speed = VOICES[-1]
    chunks.append({"role": "outro", "text": OUTRO, "pause": 0.0, "voice": voice, "speed": speed})
    return chunks


def expected_issues(timeline: list[dict]) -> list[dict]:
    """The issues a perfect aligner reports, from the chunks' true times."""
    out: list[dict] = []
    for k, c in enumerate(timeline):
        role = c["role"]
        if role in ("intro", "outro"):
            out.append({"type": role, "start": c["start"], "end": c["end"]})
        elif role == "adlib":
            out.append(
                {"type": "inserted", "start": c["start"], "end": c["end"], "heard": c["text"]}
            )
        elif role == "retake_first":
            kept = next(x for x in timeline[k + 1 :] if x["text"] == c["source"])
            out.append(
                {
                    "type": "repeated",
                    "start": c["start"],
                    "end": kept["start"],
                    "expected": c["source"],
                    "heard": c["text"],
                }
            )
        elif role == "skip":
            if k and timeline[k - 1]["role"] == "skip":
                out[-1]["expected"] += " " + c["text"]
                out[-1]["heading"] = out[-1]["heading"] and c["kind"] == "heading"
                continue
            out.append(
                {
                    "type": "skipped",
                    "start": c["start"],
                    "end": c["end"],
                    "expected": c["text"],
                    "heading": c["kind"] == "heading",
                }
            )
        if "misread" in c:
            out.append(
                {
                    "type": "substituted",
                    "start": c["start"],
                    "end": c["end"],
                    "expected": c["misread"][0],
                    "heard": c["misread"][1],
                    "word_start": c["word_start"],
                    "word_end": c["word_end"],
                }
            )
        if c.get("pause_after", 0) >= 5.0:
            out.append({"type": "long_pause", "start": c["end"], "end": timeline[k + 1]["start"]})
    spoken = [x for x in timeline if x["role"] != "skip"]
    for issue in out:
        if issue["type"] == "skipped":
            # a skip sits between what was read before and after it
            issue["start"] = max(x["end"] for x in spoken if x["end"] <= issue["start"])
            issue["end"] = min(x["start"] for x in spoken if x["start"] >= issue["end"])
    return out


# --------------------------------------------------------------------------- audio


def _speak(text: str, voice: str, speed: int, tmp: Path) -> np.ndarray:
    wav = tmp / "chunk.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True)
    data, rate = sf.read(wav, dtype="float32")
    assert rate == RATE, rate
    loud = np.flatnonzero(np.abs(data) > 0.02 * np.abs(data).max())
    return data[loud[0] : loud[-1] + 1]  # trimmed: the chunk starts where speech starts


def _word_span(c: dict, tmp: Path) -> tuple[float, float]:
    """Where the changed words fall inside a misread sentence: durations of the spoken
    prefix before and through them (an estimate: a prefix ends with a sentence's fall)."""
    spoken, heard = c["spoken"], c["misread"][1]
    at = spoken.index(heard)
    before, through = spoken[:at].strip(), spoken[: at + len(heard)]
    d0 = len(_speak(pronounce(before), c["voice"], c["speed"], tmp)) / RATE if before else 0.0
    d1 = len(_speak(pronounce(through), c["voice"], c["speed"], tmp)) / RATE
    return d0, d1


def render(chunks: list[dict], out_dir: Path) -> dict:
    pieces: list[np.ndarray] = [np.zeros(int(LEAD_SILENCE * RATE), dtype=np.float32)]
    n = len(pieces[0])
    timeline = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for c in chunks:
            t = n / RATE
            if c["role"] == "skip":  # not spoken: marks where the text should have been
                timeline.append({**c, "start": round(t, 3), "end": round(t, 3)})
                continue
            said = pronounce(c.get("spoken", c["text"]))
            audio = _speak(said, c["voice"], c["speed"], tmp)
            entry = {k: v for k, v in c.items() if k != "pause"}
            entry.update(
                said=said,
                start=round(t, 3),
                end=round(t + len(audio) / RATE, 3),
                pause_after=c["pause"],
            )
            if "misread" in c:
                d0, d1 = _word_span(c, tmp)
                entry["word_start"] = round(t + d0, 3)
                entry["word_end"] = round(t + min(d1, len(audio) / RATE), 3)
            timeline.append(entry)
            silence = np.zeros(int(round(c["pause"] * RATE)), dtype=np.float32)
            pieces += [audio, silence]
            n += len(audio) + len(silence)
    signal = np.concatenate(pieces)
    signal = 0.7 * signal / np.abs(signal).max()
    mp3 = out_dir / f"{NAME}.mp3"
    with tempfile.TemporaryDirectory() as tmpdir:
        wav = Path(tmpdir) / "full.wav"
        sf.write(wav, signal, RATE)
        tmp_mp3 = mp3.with_suffix(".tmp.mp3")
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-i",
                str(wav),
                "-map_metadata",
                "-1",
                "-fflags",
                "+bitexact",
                "-flags:a",
                "+bitexact",
                "-ac",
                "1",
                "-ar",
                "16000",
                "-c:a",
                "libmp3lame",
                "-b:a",
                "24k",
                "-f",
                "mp3",
                str(tmp_mp3),
            ],
            check=True,
        )
        os.replace(tmp_mp3, mp3)
    return {
        "audio": mp3.name,
        "duration": round(len(signal) / RATE, 3),
        "chunks": timeline,
        "issues": expected_issues(timeline),
    }


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str]) -> None:
    out_dir = Path(argv[0]) if argv else DEFAULT_OUT
    out_dir.mkdir(parents=True, exist_ok=True)
    _write(out_dir / "article.md", article_markdown())
    _write(out_dir / "summary.txt", SUMMARY + "\n")
    truth = render(script(), out_dir)
    _write(out_dir / f"{NAME}.truth.json", json.dumps(truth, indent=1) + "\n")
    kinds: dict[str, int] = {}
    for i in truth["issues"]:
        key = i["type"] + (" (heading)" if i.get("heading") else "")
        if i["type"] == "substituted":
            key += " (phrase)" if " " in i["expected"] + i["heard"] else " (word)"
        kinds[key] = kinds.get(key, 0) + 1
    words = len(re.findall(r"\S+", article_markdown().replace("#", "")))
    print(
        f"{out_dir}: {truth['duration'] / 60:.1f} min, {words} article words; "
        + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    )


if __name__ == "__main__":
    main(sys.argv[1:])
