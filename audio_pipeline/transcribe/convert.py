"""CTranslate2 Whisper variables -> an openai-whisper ``Whisper`` state dict.

CTranslate2 fuses projections that openai keeps apart: self-attention q|k|v in
``linear_0`` (output ``linear_1``), cross-attention q in ``linear_0``, k|v in
``linear_1`` (output ``linear_2``). openai's key projections have no bias, so the
fused k bias must be zero; we check that instead of silently dropping weights.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from whisper.model import ModelDimensions, Whisper, sinusoids

from audio_pipeline.errors import ModelError
from audio_pipeline.transcribe.ct2 import Ct2Model

# Whisper's English-only vocabulary; multilingual models have one more token.
ENGLISH_ONLY_VOCAB = 51864

# What a Whisper spec must say for openai's architecture to compute the same thing
# (pre-norm, GELU, learned decoder positions, no ALiBi, unscaled embeddings).
_EXPECTED_FLAGS = {
    "decoder/pre_norm": 1,
    "decoder/activation": 3,  # ctranslate2.specs.Activation.GELU
    "decoder/alibi": 0,
    "decoder/scale_embeddings": 0,
    "decoder/start_from_zero_embedding": 0,
}


@dataclass(frozen=True)
class Converted:
    dims: ModelDimensions
    state_dict: dict[str, torch.Tensor]
    alignment_heads: bytes | None  # openai's base85(gzip(bool[n_layer, n_head]))

    @property
    def english_only(self) -> bool:
        return self.dims.n_vocab == ENGLISH_ONLY_VOCAB


def encode_alignment_heads(pairs: Sequence[Sequence[int]], n_layer: int, n_head: int) -> bytes:
    """[layer, head] pairs -> the base85 gzip bool array ``Whisper.set_alignment_heads`` takes."""
    mask = np.zeros((n_layer, n_head), dtype=bool)
    for pair in pairs:
        layer, head = (int(v) for v in pair)
        if not (0 <= layer < n_layer and 0 <= head < n_head):
            raise ValueError(f"alignment head {layer},{head} outside {n_layer}x{n_head}")
        mask[layer, head] = True
    # mtime=0 keeps the bytes identical from run to run.
    return base64.b85encode(gzip.compress(mask.tobytes(), mtime=0))


def decode_alignment_heads(dump: bytes, n_layer: int, n_head: int) -> np.ndarray:
    array = np.frombuffer(gzip.decompress(base64.b85decode(dump)), dtype=bool)
    return array.reshape(n_layer, n_head)


def _count_layers(model: Ct2Model, scope: str) -> int:
    pattern = re.compile(rf"^{scope}/layer_(\d+)/")
    indices = {int(m.group(1)) for name in model.variables if (m := pattern.match(name))}
    if indices != set(range(len(indices))):
        raise ValueError(f"{scope} layers are not numbered 0..n-1: {sorted(indices)}")
    return len(indices)


class _Builder:
    def __init__(self, model: Ct2Model):
        self.model = model
        self.sd: dict[str, torch.Tensor] = {}

    def get(self, name: str) -> np.ndarray:
        if name not in self.model:
            raise ValueError(f"variable {name} is missing")
        return self.model.float32(name)

    def put(self, key: str, value: np.ndarray) -> None:
        self.sd[key] = torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))

    def linear(self, key: str, src: str, bias: bool = True) -> None:
        self.put(f"{key}.weight", self.get(f"{src}/weight"))
        if bias:
            self.put(f"{key}.bias", self.get(f"{src}/bias"))

    def norm(self, key: str, src: str) -> None:
        self.put(f"{key}.weight", self.get(f"{src}/gamma"))
        self.put(f"{key}.bias", self.get(f"{src}/beta"))

    def fused(self, keys: Sequence[str], src: str) -> None:
        """Split a fused projection; a ``None`` bias key means openai has no bias there."""
        weight = self.get(f"{src}/weight")
        bias = self.get(f"{src}/bias")
        parts = len(keys)
        if weight.shape[0] % parts:
            raise ValueError(f"{src}/weight rows {weight.shape[0]} do not split in {parts}")
        for key, w, b in zip(
            keys, np.split(weight, parts, axis=0), np.split(bias, parts), strict=True
        ):
            self.put(f"{key}.weight", w)
            if key.endswith(".key"):
                if np.any(b != 0):
                    raise ValueError(f"{src}: key bias is not zero; openai has none")
            else:
                self.put(f"{key}.bias", b)

    def mlp(self, key: str, src: str) -> None:
        self.linear(f"{key}.mlp.0", f"{src}/ffn/linear_0")
        self.linear(f"{key}.mlp.2", f"{src}/ffn/linear_1")
        self.norm(f"{key}.mlp_ln", f"{src}/ffn/layer_norm")

    def self_attention(self, key: str, src: str) -> None:
        sa = f"{src}/self_attention"
        self.fused([f"{key}.attn.query", f"{key}.attn.key", f"{key}.attn.value"], f"{sa}/linear_0")
        self.linear(f"{key}.attn.out", f"{sa}/linear_1")
        self.norm(f"{key}.attn_ln", f"{sa}/layer_norm")


def _dims(model: Ct2Model) -> ModelDimensions:
    conv1 = model.raw("encoder/conv1/weight")
    embeddings = model.raw("decoder/embeddings/weight")
    return ModelDimensions(
        n_mels=int(conv1.shape[1]),
        n_audio_ctx=int(model.raw("encoder/position_encodings/encodings").shape[0]),
        n_audio_state=int(conv1.shape[0]),
        n_audio_head=int(model.scalar("encoder/num_heads")),
        n_audio_layer=_count_layers(model, "encoder"),
        n_vocab=int(embeddings.shape[0]),
        n_text_ctx=int(model.raw("decoder/position_encodings/encodings").shape[0]),
        n_text_state=int(embeddings.shape[1]),
        n_text_head=int(model.scalar("decoder/num_heads")),
        n_text_layer=_count_layers(model, "decoder"),
    )


def _state_dict(model: Ct2Model, dims: ModelDimensions) -> dict[str, torch.Tensor]:
    b = _Builder(model)
    for name, expected in _EXPECTED_FLAGS.items():
        if name in model and model.scalar(name) != expected:
            raise ValueError(f"{name} = {model.scalar(name)}, openai's Whisper needs {expected}")

    b.linear("encoder.conv1", "encoder/conv1")
    b.linear("encoder.conv2", "encoder/conv2")
    positions = b.get("encoder/position_encodings/encodings")
    # openai recomputes this buffer as fixed sinusoids; anything else is another model.
    reference = sinusoids(dims.n_audio_ctx, dims.n_audio_state).numpy()
    if positions.shape != reference.shape or not np.allclose(positions, reference, atol=2e-3):
        raise ValueError("encoder position encodings are not Whisper's sinusoids")
    b.put("encoder.positional_embedding", positions)
    for i in range(dims.n_audio_layer):
        b.self_attention(f"encoder.blocks.{i}", f"encoder/layer_{i}")
        b.mlp(f"encoder.blocks.{i}", f"encoder/layer_{i}")
    b.norm("encoder.ln_post", "encoder/layer_norm")

    b.put("decoder.token_embedding.weight", b.get("decoder/embeddings/weight"))
    b.put("decoder.positional_embedding", b.get("decoder/position_encodings/encodings"))
    for i in range(dims.n_text_layer):
        key, src = f"decoder.blocks.{i}", f"decoder/layer_{i}"
        b.self_attention(key, src)
        b.linear(f"{key}.cross_attn.query", f"{src}/attention/linear_0")
        b.fused([f"{key}.cross_attn.key", f"{key}.cross_attn.value"], f"{src}/attention/linear_1")
        b.linear(f"{key}.cross_attn.out", f"{src}/attention/linear_2")
        b.norm(f"{key}.cross_attn_ln", f"{src}/attention/layer_norm")
        b.mlp(key, src)
    b.norm("decoder.ln", "decoder/layer_norm")
    return b.sd


def convert(model: Ct2Model, config: dict[str, Any], source: Path | None = None) -> Converted:
    """Build openai's dims, state dict and alignment heads from a CTranslate2 Whisper model.

    The state dict is checked against ``Whisper(dims)`` with ``strict=True``, so a
    missing or extra tensor, or a wrong shape, fails here and not at transcription.
    """
    if model.spec != "WhisperSpec":
        raise ModelError(f"not a Whisper model (CTranslate2 spec {model.spec!r})", source)
    try:
        dims = _dims(model)
        state_dict = _state_dict(model, dims)
        Whisper(dims).load_state_dict(state_dict, strict=True)
        pairs = config.get("alignment_heads")
        heads = (
            encode_alignment_heads(pairs, dims.n_text_layer, dims.n_text_head) if pairs else None
        )
    except (KeyError, ValueError, RuntimeError) as exc:
        raise ModelError(f"cannot convert CTranslate2 Whisper model: {exc}", source) from exc
    return Converted(dims, state_dict, heads)


def read_config(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read model config: {exc}", path) from exc
    if not isinstance(data, dict):
        raise ModelError("model config is not a JSON object", path)
    return data
