"""Deciding what a batch runs: worker count, --only, validation, up-to-date checks, and
the clean-up of what killed runs left behind."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audio_pipeline.errors import BatchError, PipelineError
from audio_pipeline.media.decoder import probe_duration
from audio_pipeline.metadata.config import PodcastConfig
from audio_pipeline.metadata.manifest import ManifestProblem
from audio_pipeline.pipeline import RESULT_SUFFIX, is_up_to_date
from audio_pipeline.types import Episode, EpisodeStatus, EpisodeSummary

LOCK_NAME = ".batch.lock"
# Resident memory of one worker with the model loaded, GB; the first matching name wins.
_WORKER_GB = (("large", 10.0), ("turbo", 6.0), ("medium", 5.0), ("small", 2.5),
              ("base", 1.8), ("tiny", 1.5))
_DEFAULT_WORKER_GB = 2.0

@dataclass(frozen=True)
class Planned:
    """One selected, valid episode and whether it must run."""

    episode: Episode
    duration: float
    up_to_date: bool


# --------------------------------------------------------------------------- sizing


def default_jobs(model: str = "", *, cores: int | None = None,
                 available_bytes: int | None = None) -> int:
    """As many workers as both the cores and the memory (one model per worker) allow."""
    cores = cores or _cores()
    if available_bytes is None:
        available_bytes = _available_memory()
    per_worker = next((gb for name, gb in _WORKER_GB if name in model.lower()),
                      _DEFAULT_WORKER_GB) * 1e9
    by_memory = int(available_bytes // per_worker) if available_bytes else cores
    return max(1, min(cores, by_memory))


def torch_threads_per_worker(jobs: int, cores: int | None = None) -> int:
    return max(1, (cores or _cores()) // max(1, jobs))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _available_memory() -> int | None:
    """MemAvailable, capped by a cgroup (container) limit when there is one."""
    found: int | None = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        try:
            found = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            found = None
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        if limit != "max":
            room = int(limit) - used
            found = room if found is None else min(found, room)
    except (OSError, ValueError):
        pass
    return found


# --------------------------------------------------------------------------- planning


def select(episodes: Sequence[Episode], only: Iterable[str],
           invalid: Iterable[str] = ()) -> list[Episode]:
    """The episodes named by `--only` (all when empty); an unknown slug is a usage error.

    `invalid` names episodes the manifest dropped: selecting one is not a usage error.
    """
    wanted = list(dict.fromkeys(only))
    if not wanted:
        return list(episodes)
    known = {e.slug for e in episodes} | set(invalid)
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise BatchError(f"--only names no episode of the manifest: {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(known))})")
    return [e for e in episodes if e.slug in wanted]


def invalid_summaries(problems: Iterable[ManifestProblem]) -> list[EpisodeSummary]:
    """One invalid report row per episode the manifest dropped, all its problems joined."""
    grouped: dict[tuple[int | None, str], list[ManifestProblem]] = {}
    for problem in problems:
        grouped.setdefault((problem.index, problem.slug or ""), []).append(problem)
    rows = []
    for (_, slug), found in grouped.items():
        label = found[0].label
        details = "; ".join(str(p).removeprefix(f"{label}: ") for p in found)
        rows.append(invalid_summary(slug or label, None, f"{label}: {details}" if label
                                    else details))
    return rows


def not_run_summary(slug: str, audio: Path | None, status: EpisodeStatus,
                    error: str | None = None, **more: Any) -> EpisodeSummary:
    """The report row of an episode that did not run (invalid, dry run, up to date)."""
    return EpisodeSummary(slug=slug, audio=str(audio) if audio else None, status=status,
                          error=error, **more)


def invalid_summary(slug: str, audio: Path | None, error: str) -> EpisodeSummary:
    return not_run_summary(slug, audio, "failed", error, invalid=True)


def plan(episodes: Sequence[Episode], config: PodcastConfig, out_dir: Path, *,
         force: bool = False, threads: int = 4) -> tuple[list[Planned], list[EpisodeSummary]]:
    """Probe every episode's audio (header only) and check which outputs are current.

    Returns (valid episodes in order, invalid entries). Slugs must be unique because
    they name the output folders.
    """
    def check(episode: Episode) -> Planned | EpisodeSummary:
        if episode.audio is None:
            return invalid_summary(episode.slug, None, "no recording given (`audio` is empty)")
        try:
            duration = probe_duration(episode.audio)
        except PipelineError as exc:
            return invalid_summary(episode.slug, episode.audio, exc.one_line())
        except OSError as exc:
            return invalid_summary(episode.slug, episode.audio, f"{episode.audio}: {exc}")
        current = not force and is_up_to_date(episode, config, out_dir)
        return Planned(episode, duration, current)

    seen: set[str] = set()
    unique: list[Episode] = []
    invalid: list[EpisodeSummary] = []
    for episode in episodes:
        if episode.slug in seen:
            invalid.append(invalid_summary(episode.slug, episode.audio,
                                           f"duplicate slug {episode.slug!r}"))
        else:
            seen.add(episode.slug)
            unique.append(episode)
    # Hashing audio for the up-to-date check is I/O bound and hashlib drops the GIL.
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        checked = list(pool.map(check, unique))
    planned = [c for c in checked if isinstance(c, Planned)]
    invalid += [c for c in checked if not isinstance(c, Planned)]
    return planned, invalid


@contextmanager
def exclusive(out_dir: Path) -> Iterator[None]:
    """One batch at a time per output folder: a second one would delete the staging
    folders of the first as stale. The lock goes with the process, even on kill -9."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; the producer must not overlap runs
        yield
        return
    try:
        handle = open(out_dir / LOCK_NAME, "a")  # noqa: SIM115 - closed by the with below
    except OSError as exc:  # read-only or full: one line, not "unexpected PermissionError"
        raise BatchError(f"cannot write to the output folder: {exc.strerror or exc}",
                         out_dir) from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BatchError("another batch is writing to this folder; wait for it to "
                             "finish (or use another --out)", out_dir) from None
        yield


def clean_stale(out_dir: Path) -> list[Path]:
    """Remove what killed runs leave: `.<slug>.*.partial` staging folders and temp files.

    A `.<slug>.old-PID` folder (a kill between publish's two renames) is moved back when
    `<slug>` is missing, so a finished episode is never lost; otherwise it is removed.
    """
    removed: list[Path] = []
    if not out_dir.is_dir():
        return removed
    for entry in sorted(out_dir.iterdir()):
        name = entry.name
        if not name.startswith("."):
            continue
        old = re.fullmatch(r"\.(.+)\.old-\d+", name)
        if entry.is_dir() and old:
            final = out_dir / old.group(1)
            if not final.exists():
                os.replace(entry, final)
                continue
        if entry.is_dir() and (name.endswith(".partial") or old):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.is_file() and name.endswith(".tmp"):
            entry.unlink(missing_ok=True)
        else:
            continue
        removed.append(entry)
    return removed


def recorded_summary(planned: Planned, out_dir: Path) -> EpisodeSummary:
    """An up-to-date episode's report row, from the result it recorded last time."""
    slug = planned.episode.slug
    try:
        doc = json.loads((out_dir / slug / f"{slug}{RESULT_SUFFIX}").read_text("utf-8"))
        summary = EpisodeSummary.from_json(doc)
    except (OSError, ValueError, TypeError):
        summary = not_run_summary(slug, planned.episode.audio, "skipped",
                                  duration=round(planned.duration, 3))
    return dataclasses.replace(summary, status="skipped", reason="up to date", error=None,
                               fingerprint=None)
