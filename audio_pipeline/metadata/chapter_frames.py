"""Chapter frames in time order inside an ID3 tag, rewritten in place.

mutagen orders frames by size when saving (quodlibet/mutagen#506), so CHAP frames land out
of time order, and readers such as ffprobe list chapters in file order. This regroups the
CTOC and CHAP frames, sorted by start time, where the first of them stood; the tag's size
does not change, so the audio after it is never touched.
"""

from __future__ import annotations

from pathlib import Path


def order_chapter_frames(path: Path) -> None:
    """Regroup CTOC then CHAP frames by start time, in place; the tag size is unchanged."""
    with path.open("r+b") as fh:
        header = fh.read(10)
        if len(header) < 10 or header[:3] != b"ID3" or header[3] not in (3, 4):
            return
        if header[5] & 0xC0:  # unsynchronised or extended header: mutagen never writes it
            return
        body = fh.read(_syncsafe(header[6:10]))
        frames: list[tuple[bytes, bytes]] = []
        pos = 0
        while pos + 10 <= len(body) and body[pos] != 0:
            raw = body[pos + 4 : pos + 8]
            size = _syncsafe(raw) if header[3] == 4 else int.from_bytes(raw, "big")
            frames.append((body[pos : pos + 4], body[pos : pos + 10 + size]))
            pos += 10 + size
        chapter_ids = (b"CHAP", b"CTOC")
        slots = [i for i, (fid, _) in enumerate(frames) if fid in chapter_ids]
        if not slots:
            return
        tocs = [data for fid, data in frames if fid == b"CTOC"]
        chaps = sorted((data for fid, data in frames if fid == b"CHAP"), key=_chap_sort_key)
        rest = [data for fid, data in frames if fid not in chapter_ids]
        ordered = rest[: slots[0]] + tocs + chaps + rest[slots[0] :]
        new = b"".join(ordered)
        assert len(new) == pos  # same frames, new order
        fh.seek(10)
        fh.write(new)


def _chap_sort_key(frame: bytes) -> tuple[int, bytes]:
    body = frame[10:]
    end_id = body.index(b"\x00")
    return int.from_bytes(body[end_id + 1 : end_id + 5], "big"), body[:end_id]


def _syncsafe(raw: bytes) -> int:
    return (raw[0] << 21) | (raw[1] << 14) | (raw[2] << 7) | raw[3]
