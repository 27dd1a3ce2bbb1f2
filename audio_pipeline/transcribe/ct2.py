"""Read CTranslate2's ``model.bin`` with numpy, without importing ctranslate2.

The layout is the one ``ctranslate2/specs/model_spec.py`` writes (binary version 6):

    u32 version, str spec_name, u32 revision, u32 n_variables,
    n_variables x (str name, u8 rank, rank x u32 dim, u8 dtype_id, u32 n_bytes, bytes),
    u32 n_aliases, n_aliases x (str alias, str target)

where ``str`` is a u16 length that counts a trailing NUL, then the bytes and the NUL.
All integers are little-endian. Quantized weights carry a sibling ``<name>_scale``:
int8 rows were multiplied by ``127 / amax(row)``, int16 by one scalar.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from audio_pipeline.errors import ModelError

SUPPORTED_VERSIONS = (6,)  # the only layout checked against real files

# Order of CTranslate2's DataType enum (include/ctranslate2/types.h).
_DTYPES: dict[int, np.dtype] = {
    0: np.dtype("<f4"),
    1: np.dtype("i1"),
    2: np.dtype("<i2"),
    3: np.dtype("<i4"),
    4: np.dtype("<f2"),
    5: np.dtype("<u2"),  # bfloat16: raw 16 bits, widened in _to_float32
}
_BFLOAT16 = 5


@dataclass
class Ct2Model:
    """Variables of one model.bin, raw as stored; aliases resolved on lookup."""

    spec: str
    revision: int
    version: int
    variables: dict[str, np.ndarray]
    dtype_ids: dict[str, int]
    aliases: dict[str, str] = field(default_factory=dict)

    def _target(self, name: str) -> str:
        seen = set()
        while name in self.aliases and name not in self.variables:
            if name in seen:
                raise KeyError(f"alias loop at {name}")
            seen.add(name)
            name = self.aliases[name]
        return name

    def __contains__(self, name: str) -> bool:
        return self._target(name) in self.variables

    def raw(self, name: str) -> np.ndarray:
        return self.variables[self._target(name)]

    def scalar(self, name: str) -> int | float:
        value = self.raw(name)
        if value.size != 1:
            raise KeyError(f"{name} is not a scalar")
        return value.reshape(-1)[0].item()

    def float32(self, name: str) -> np.ndarray:
        """The variable as float32, dequantized with its ``_scale`` sibling if it has one."""
        target = self._target(name)
        value = _to_float32(self.variables[target], self.dtype_ids[target])
        scale_name = f"{target}_scale"
        if self.dtype_ids[target] in (1, 2) and scale_name in self.variables:
            scale = _to_float32(self.variables[scale_name], self.dtype_ids[scale_name])
            if scale.ndim == 1 and value.ndim >= 1:
                # int8 scales are per output row.
                scale = scale.reshape((-1,) + (1,) * (value.ndim - 1))
            value = value / scale
        return value.astype(np.float32, copy=False)


def _to_float32(value: np.ndarray, dtype_id: int) -> np.ndarray:
    if dtype_id == _BFLOAT16:
        # bfloat16 is the top half of a float32.
        return (value.astype(np.uint32) << 16).view(np.float32)
    return value.astype(np.float32)


class _ChainedReader:
    """Reads several files back to back as one stream (a model.bin split into parts)."""

    def __init__(self, paths: Sequence[Path]):
        self._paths = list(paths)
        self._index = 0
        self._handle: BinaryIO | None = None
        self.position = 0

    def __enter__(self) -> _ChainedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def read(self, size: int) -> bytes:
        chunks: list[bytes] = []
        left = size
        while left > 0:
            if self._handle is None:
                if self._index >= len(self._paths):
                    break
                self._handle = open(self._paths[self._index], "rb")
                self._index += 1
            chunk = self._handle.read(left)
            if not chunk:
                self._handle.close()
                self._handle = None
                continue
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        self.position += len(data)
        return data


class _Parser:
    def __init__(self, stream: _ChainedReader, path: Path):
        self._stream = stream
        self._path = path

    def exact(self, size: int) -> bytes:
        data = self._stream.read(size)
        if len(data) != size:
            raise ModelError(f"model.bin is truncated at byte {self._stream.position}", self._path)
        return data

    def unpack(self, fmt: str) -> int:
        return struct.unpack("<" + fmt, self.exact(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        length = self.unpack("H")
        raw = self.exact(length)
        try:
            return raw.rstrip(b"\0").decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ModelError(
                f"model.bin has a name that is not UTF-8 near byte {self._stream.position}",
                self._path,
            ) from exc


def read_model_bin(parts: Path | Iterable[Path]) -> Ct2Model:
    """Parse a CTranslate2 model.bin, given as one path or as parts to read back to back."""
    paths = [parts] if isinstance(parts, Path) else [Path(p) for p in parts]
    if not paths:
        raise ModelError("no model.bin given")
    where = paths[0]
    for path in paths:
        if not path.is_file():
            raise ModelError("model file not found", path)
    with _ChainedReader(paths) as stream:
        parser = _Parser(stream, where)
        version = parser.unpack("I")
        if version not in SUPPORTED_VERSIONS:
            raise ModelError(
                f"unsupported CTranslate2 model.bin version {version} "
                f"(this reader knows {', '.join(map(str, SUPPORTED_VERSIONS))})",
                where,
            )
        spec = parser.string()
        revision = parser.unpack("I")
        variables: dict[str, np.ndarray] = {}
        dtype_ids: dict[str, int] = {}
        for _ in range(parser.unpack("I")):
            name = parser.string()
            rank = parser.unpack("B")
            shape = tuple(parser.unpack("I") for _ in range(rank))
            dtype_id = parser.unpack("B")
            n_bytes = parser.unpack("I")
            if dtype_id not in _DTYPES:
                raise ModelError(f"variable {name} has unknown dtype id {dtype_id}", where)
            dtype = _DTYPES[dtype_id]
            expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if n_bytes != expected:
                raise ModelError(
                    f"variable {name}: {n_bytes} bytes for shape {shape} of {dtype}", where
                )
            variables[name] = np.frombuffer(parser.exact(n_bytes), dtype=dtype).reshape(shape)
            dtype_ids[name] = dtype_id
        aliases: dict[str, str] = {}
        # The alias table closes the file; tolerate files written without one.
        tail = stream.read(4)
        if len(tail) == 4:
            for _ in range(struct.unpack("<I", tail)[0]):
                alias = parser.string()
                aliases[alias] = parser.string()
    return Ct2Model(spec, revision, version, variables, dtype_ids, aliases)
