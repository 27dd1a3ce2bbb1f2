"""Atomic writes: a reader (or a killed batch) never sees a half-written output."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from audio_pipeline.errors import OutputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def default_mode(directory: bool = False) -> int:
    """The mode open()/mkdir() would give: mkstemp's 0600 would hide outputs from the web
    server or the other users of a shared output folder."""
    return (0o777 if directory else 0o666) & ~_umask()


@contextmanager
def atomic_path(dest: Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `dest`; on success it replaces `dest` in one rename.

    When `dest` already exists its permissions are kept, else the usual umask applies.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{dest.name}.", suffix=suffix or ".tmp", dir=dest.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        mode = dest.stat().st_mode & 0o7777 if dest.exists() else default_mode()
        os.chmod(tmp, mode)
    except OSError:
        pass
    try:
        yield tmp
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(dest: Path, text: str) -> Path:
    try:
        with atomic_path(dest) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", dest) from exc
    return Path(dest)


def write_bytes(dest: Path, data: bytes) -> Path:
    try:
        with atomic_path(dest) as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", dest) from exc
    return Path(dest)


def staging_dir(final_dir: Path) -> Path:
    """A fresh sibling folder to build an episode's outputs in before publishing them."""
    if final_dir.exists() and not final_dir.is_dir():  # publishing would move it aside, hidden
        raise OutputError("a file is in the way of the output folder", final_dir)
    try:
        final_dir.parent.mkdir(parents=True, exist_ok=True)
        remove_dead_staging(final_dir)
        staging = Path(  # named with our pid, so a later run knows when it is orphaned
            tempfile.mkdtemp(prefix=f".{final_dir.name}.{os.getpid()}-", suffix=".partial",
                             dir=final_dir.parent)
        )
    except OSError as exc:  # a file in the way, read-only or full disk: the user can fix it
        raise OutputError(f"cannot create the output folder: {exc.strerror or exc}",
                          final_dir.parent) from exc
    os.chmod(staging, default_mode(directory=True))
    return staging


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def remove_dead_staging(final_dir: Path) -> list[Path]:
    """Remove the staging folders of ``final_dir`` left by killed runs (their pid is gone);
    a run still building one, e.g. a second `process` of the same episode, keeps its own."""
    pattern = re.compile(rf"\.{re.escape(final_dir.name)}\.(\d+)-[^/]*\.partial")
    removed: list[Path] = []
    try:
        entries = list(final_dir.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        found = pattern.fullmatch(entry.name)
        if found and entry.is_dir() and not _alive(int(found.group(1))):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def publish_dir(staging: Path, final_dir: Path) -> None:
    """Swap a finished staging folder into place; the old outputs vanish only after.

    os.replace cannot replace a non-empty folder, so the old one is renamed aside first;
    a crash between the two renames leaves the old outputs under a hidden name, never a
    half-written folder under the real one.
    """
    old: Path | None = None
    if final_dir.exists():
        old = final_dir.with_name(f".{final_dir.name}.old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        os.replace(final_dir, old)
    os.replace(staging, final_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
