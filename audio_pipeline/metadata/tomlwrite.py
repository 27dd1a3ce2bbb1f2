"""A small TOML writer for the values a manifest holds (tomllib only reads).

Strings with newlines become multi-line basic strings so summaries stay readable when a
person edits an imported manifest; everything else is a one-line basic string. Paths are
written relative to the manifest's folder so a manifest moves together with its files.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def toml_value(value: Any, base_dir: Path) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Path):
        try:  # relative paths keep a manifest movable together with its files
            value = os.path.relpath(value.resolve(), base_dir.resolve())
        except ValueError:  # another drive on Windows
            value = str(value)
        return _string(str(value))
    if isinstance(value, str):
        return _multiline(value) if "\n" in value else _string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v, base_dir) for v in value) + "]"
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _escape(text: str, keep_newlines: bool) -> str:
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n" and keep_newlines:
            out.append("\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


def _string(text: str) -> str:
    return '"' + _escape(text, keep_newlines=False) + '"'


def _multiline(text: str) -> str:
    # The newline right after the opening quotes is not part of the value (TOML spec).
    return '"""\n' + _escape(text.replace("\r\n", "\n"), keep_newlines=True) + '"""'
