"""Speech to timed text: engines behind one Transcriber protocol, and model resolution.

openai-whisper runs on bundled CTranslate2 weights, converted once to an ordinary
whisper checkpoint in the user cache (see models.py); no network is needed.
"""

from audio_pipeline.transcribe.engine import WhisperTranscriber, to_whisper_input
from audio_pipeline.transcribe.models import (
    DEFAULT_MODEL,
    ModelInfo,
    ResolvedModel,
    cache_dir,
    export_model,
    list_models,
    resolve_model,
)
from audio_pipeline.transcribe.protocol import Transcriber

__all__ = [
    "DEFAULT_MODEL",
    "ModelInfo",
    "ResolvedModel",
    "Transcriber",
    "WhisperTranscriber",
    "cache_dir",
    "export_model",
    "list_models",
    "resolve_model",
    "to_whisper_input",
]
