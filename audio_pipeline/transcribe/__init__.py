"""Speech to timed text: engines behind one Transcriber protocol, and model resolution.

openai-whisper runs on bundled CTranslate2 weights, converted once to an ordinary
whisper checkpoint in the user cache (see models.py); faster-whisper (fast.py) runs the
same CTranslate2 directories as they ship. No network is needed. Names are imported on
first use, so the faster-whisper engine starts without loading torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# public name -> the module that defines it
_EXPORTS = {
    "DEFAULT_MODEL": "sources",
    "cache_dir": "sources",
    "ModelInfo": "models",
    "ResolvedModel": "models",
    "export_model": "models",
    "list_models": "models",
    "resolve_model": "models",
    "Transcriber": "protocol",
    "WhisperTranscriber": "engine",
    "FasterWhisperTranscriber": "fast",
    "to_whisper_input": "whisper_input",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)
