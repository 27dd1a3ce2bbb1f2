"""CTranslate2 reader, CT2 -> openai conversion and model resolution, on small models
written here in CTranslate2's own binary layout (no ctranslate2 import, no download)."""

from __future__ import annotations

import inspect
import json
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
import whisper
from whisper.model import ModelDimensions, Whisper, sinusoids

from audio_pipeline.errors import ModelError, TranscribeError
from audio_pipeline.transcribe import (
    WhisperTranscriber,
    export_model,
    list_models,
    resolve_model,
    to_whisper_input,
)
from audio_pipeline.transcribe.convert import (
    convert,
    decode_alignment_heads,
    encode_alignment_heads,
)
from audio_pipeline.transcribe.ct2 import read_model_bin
from audio_pipeline.types import Audio

F32, I8, I16, I32, F16, BF16 = 0, 1, 2, 3, 4, 5
_NP = {F32: "<f4", I8: "i1", I16: "<i2", I32: "<i4", F16: "<f2", BF16: "<u2"}

# --------------------------------------------------------------------------- writer


def _string(text: str) -> bytes:
    raw = text.encode() + b"\0"
    return struct.pack("<H", len(raw)) + raw


def write_model_bin(
    path: Path,
    variables: dict[str, tuple[np.ndarray, int]],
    aliases: dict[str, str] | None = None,
    *,
    version: int = 6,
    spec: str = "WhisperSpec",
) -> Path:
    """Serialize like ctranslate2/specs/model_spec.py: sorted names, aliases at the end."""
    out = [struct.pack("<I", version), _string(spec), struct.pack("<I", 3)]
    out.append(struct.pack("<I", len(variables)))
    for name in sorted(variables):
        value, dtype_id = variables[name]
        data = np.ascontiguousarray(value).astype(_NP[dtype_id]).tobytes()
        out += [_string(name), struct.pack("<B", value.ndim)]
        out += [struct.pack("<I", d) for d in value.shape]
        out += [struct.pack("<B", dtype_id), struct.pack("<I", len(data)), data]
    aliases = aliases or {}
    out.append(struct.pack("<I", len(aliases)))
    for alias, target in aliases.items():
        out += [_string(alias), _string(target)]
    path.write_bytes(b"".join(out))
    return path


def _quantize_int8(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    amax = np.abs(weight).max(axis=1)
    amax[amax == 0] = 127.0
    scale = (127.0 / amax).astype(np.float32)
    return np.rint(weight * scale[:, None]).astype(np.int8), scale


DIMS = ModelDimensions(
    n_mels=8,
    n_audio_ctx=12,
    n_audio_state=16,
    n_audio_head=2,
    n_audio_layer=2,
    n_vocab=51864,
    n_text_ctx=6,
    n_text_state=16,
    n_text_head=4,
    n_text_layer=2,
)
HEADS = [[1, 0], [1, 3]]


def whisper_to_ct2(model: Whisper, *, int8: bool = False) -> dict[str, tuple[np.ndarray, int]]:
    """openai state dict -> CTranslate2 variables (the inverse of what we test)."""
    sd = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    var: dict[str, tuple[np.ndarray, int]] = {}

    def weight(name: str, value: np.ndarray) -> None:
        if int8:
            q, scale = _quantize_int8(value)
            var[f"{name}/weight"] = (q, I8)
            var[f"{name}/weight_scale"] = (scale, F32)
        else:
            var[f"{name}/weight"] = (value, F32)

    def linear(dst: str, src: str) -> None:
        weight(dst, sd[f"{src}.weight"])
        var[f"{dst}/bias"] = (sd[f"{src}.bias"], F32)

    def norm(dst: str, src: str) -> None:
        var[f"{dst}/gamma"] = (sd[f"{src}.weight"], F32)
        var[f"{dst}/beta"] = (sd[f"{src}.bias"], F32)

    def fused(dst: str, srcs: list[str]) -> None:
        weight(dst, np.concatenate([sd[f"{s}.weight"] for s in srcs]))
        biases = [
            np.zeros(sd[f"{s}.weight"].shape[0], np.float32)
            if s.endswith(".key")
            else sd[f"{s}.bias"]
            for s in srcs
        ]
        var[f"{dst}/bias"] = (np.concatenate(biases), F32)

    def block(dst: str, src: str, cross: bool) -> None:
        fused(
            f"{dst}/self_attention/linear_0", [f"{src}.attn.{p}" for p in ("query", "key", "value")]
        )
        linear(f"{dst}/self_attention/linear_1", f"{src}.attn.out")
        norm(f"{dst}/self_attention/layer_norm", f"{src}.attn_ln")
        if cross:
            linear(f"{dst}/attention/linear_0", f"{src}.cross_attn.query")
            fused(f"{dst}/attention/linear_1", [f"{src}.cross_attn.key", f"{src}.cross_attn.value"])
            linear(f"{dst}/attention/linear_2", f"{src}.cross_attn.out")
            norm(f"{dst}/attention/layer_norm", f"{src}.cross_attn_ln")
        linear(f"{dst}/ffn/linear_0", f"{src}.mlp.0")
        linear(f"{dst}/ffn/linear_1", f"{src}.mlp.2")
        norm(f"{dst}/ffn/layer_norm", f"{src}.mlp_ln")

    var["encoder/conv1/weight"] = (sd["encoder.conv1.weight"], F32)
    var["encoder/conv1/bias"] = (sd["encoder.conv1.bias"], F32)
    var["encoder/conv2/weight"] = (sd["encoder.conv2.weight"], F32)
    var["encoder/conv2/bias"] = (sd["encoder.conv2.bias"], F32)
    var["encoder/position_encodings/encodings"] = (sd["encoder.positional_embedding"], F32)
    var["encoder/num_heads"] = (np.array(DIMS.n_audio_head), I16)
    for i in range(DIMS.n_audio_layer):
        block(f"encoder/layer_{i}", f"encoder.blocks.{i}", cross=False)
    norm("encoder/layer_norm", "encoder.ln_post")
    var["decoder/embeddings/weight"] = (sd["decoder.token_embedding.weight"], F32)
    var["decoder/position_encodings/encodings"] = (sd["decoder.positional_embedding"], F32)
    var["decoder/num_heads"] = (np.array(DIMS.n_text_head), I16)
    for flag, value in (("pre_norm", 1), ("activation", 3), ("alibi", 0), ("scale_embeddings", 0)):
        var[f"decoder/{flag}"] = (np.array(value), I8)
    var["decoder/alignment_heads"] = (np.array(len(HEADS)), I16)
    for i in range(DIMS.n_text_layer):
        block(f"decoder/layer_{i}", f"decoder.blocks.{i}", cross=True)
    norm("decoder/layer_norm", "decoder.ln")
    return var


def write_ct2_dir(directory: Path, model: Whisper, *, int8: bool = False) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    variables = whisper_to_ct2(model, int8=int8)
    aliases = {"decoder/projection/weight": "decoder/embeddings/weight"}
    write_model_bin(directory / "model.bin", variables, aliases)
    config = {"alignment_heads": HEADS, "lang_ids": [], "suppress_ids": []}
    (directory / "config.json").write_text(json.dumps(config))
    return directory


@pytest.fixture(scope="module")
def small_whisper() -> Whisper:
    torch.manual_seed(0)
    model = Whisper(DIMS)
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(torch.randn_like(param) * 0.1)
    return model


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("AUDIO_PIPELINE_CACHE", str(directory))
    # An empty whisper cache, so no real downloaded model leaks into the tests.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return directory


# --------------------------------------------------------------------------- reader


def test_reader_returns_values_dtypes_and_scalars(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    f32 = rng.standard_normal((3, 4)).astype(np.float32)
    f16 = rng.standard_normal(5).astype(np.float16)
    bf16_source = np.array([1.5, -2.25, 2.0**100], dtype=np.float32)  # exact in bfloat16
    bf16 = (bf16_source.view(np.uint32) >> 16).astype(np.uint16)
    path = write_model_bin(
        tmp_path / "model.bin",
        {
            "a/f32": (f32, F32),
            "a/f16": (f16, F16),
            "a/bf16": (bf16, BF16),
            "a/count": (np.array(7), I32),
            "a/flag": (np.array(1), I8),
        },
    )
    model = read_model_bin(path)
    assert (model.version, model.spec, model.revision) == (6, "WhisperSpec", 3)
    np.testing.assert_array_equal(model.float32("a/f32"), f32)
    np.testing.assert_array_equal(model.float32("a/f16"), f16.astype(np.float32))
    np.testing.assert_array_equal(model.float32("a/bf16"), bf16_source)
    assert model.scalar("a/count") == 7 and model.scalar("a/flag") == 1
    assert model.raw("a/f16").dtype == np.float16


def test_reader_dequantizes_int8_rows_and_int16_scalar(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    weight = rng.standard_normal((4, 6)).astype(np.float32) * np.array([[1], [10], [0.1], [3]])
    q8, scale8 = _quantize_int8(weight.astype(np.float32))
    scale16 = np.float32(2**10 / np.abs(weight).max())
    q16 = np.rint(weight * scale16).astype(np.int16)
    path = write_model_bin(
        tmp_path / "model.bin",
        {
            "l8/weight": (q8, I8),
            "l8/weight_scale": (scale8, F32),
            "l16/weight": (q16, I16),
            "l16/weight_scale": (np.array(scale16), F32),
        },
    )
    model = read_model_bin(path)
    got8 = model.float32("l8/weight")
    # Each row is good to half a quantization step of its own scale.
    assert np.all(np.abs(got8 - weight) <= 0.5 / scale8[:, None] + 1e-6)
    assert np.abs(model.float32("l16/weight") - weight).max() <= 0.5 / scale16 + 1e-6


def test_reader_resolves_aliases(tmp_path: Path) -> None:
    emb = np.arange(6, dtype=np.float32).reshape(2, 3)
    path = write_model_bin(
        tmp_path / "model.bin",
        {"decoder/embeddings/weight": (emb, F16)},
        {"decoder/projection/weight": "decoder/embeddings/weight"},
    )
    model = read_model_bin(path)
    assert "decoder/projection/weight" in model
    np.testing.assert_array_equal(model.float32("decoder/projection/weight"), emb)
    assert "decoder/nothing" not in model


def test_reader_reads_parts_as_one_stream(tmp_path: Path) -> None:
    whole = write_model_bin(
        tmp_path / "model.bin",
        {"x/weight": (np.arange(100, dtype=np.float32), F32), "x/bias": (np.ones(3), F16)},
        {"y/weight": "x/weight"},
    )
    data = whole.read_bytes()
    # Cut inside a name, inside the data and just before the alias table.
    cuts = [9, 40, len(data) - 20]
    parts = []
    for i, (lo, hi) in enumerate(zip([0, *cuts], [*cuts, len(data)], strict=True)):
        part = tmp_path / f"model.bin.part{i}"
        part.write_bytes(data[lo:hi])
        parts.append(part)
    model = read_model_bin(parts)
    np.testing.assert_array_equal(model.float32("y/weight"), np.arange(100, dtype=np.float32))
    assert model.aliases == {"y/weight": "x/weight"}


def test_reader_rejects_truncated_and_foreign_files(tmp_path: Path) -> None:
    good = write_model_bin(tmp_path / "model.bin", {"x": (np.ones((4, 4)), F32)})
    truncated = tmp_path / "short.bin"
    truncated.write_bytes(good.read_bytes()[:-10])
    with pytest.raises(ModelError, match="truncated") as info:
        read_model_bin(truncated)
    assert info.value.path == truncated
    with pytest.raises(ModelError, match="version 99"):
        read_model_bin(write_model_bin(tmp_path / "v.bin", {}, version=99))
    bad_dtype = bytearray(good.read_bytes())
    bad_dtype[bad_dtype.index(b"x\0") + 2 + 1 + 8] = 9  # the dtype byte after rank and dims
    (tmp_path / "dtype.bin").write_bytes(bytes(bad_dtype))
    with pytest.raises(ModelError, match="dtype id 9"):
        read_model_bin(tmp_path / "dtype.bin")
    with pytest.raises(ModelError, match="not found"):
        read_model_bin(tmp_path / "missing.bin")


# --------------------------------------------------------------------------- conversion


def test_alignment_heads_encode_like_whisper() -> None:
    pairs = [[1, 0], [2, 0], [2, 5], [3, 0], [3, 1], [3, 2], [3, 3], [3, 4]]  # tiny.en config
    ours = decode_alignment_heads(encode_alignment_heads(pairs, 4, 6), 4, 6)
    theirs = decode_alignment_heads(whisper._ALIGNMENT_HEADS["tiny.en"], 4, 6)
    np.testing.assert_array_equal(ours, theirs)
    with pytest.raises(ValueError):
        encode_alignment_heads([[4, 0]], 4, 6)


def test_convert_round_trips_an_openai_state_dict(tmp_path: Path, small_whisper: Whisper) -> None:
    directory = write_ct2_dir(tmp_path / "ct2", small_whisper)
    result = convert(read_model_bin(directory / "model.bin"), {"alignment_heads": HEADS})
    assert result.dims == DIMS and result.english_only
    expected = small_whisper.state_dict()
    assert result.state_dict.keys() == expected.keys()
    for key, value in expected.items():
        torch.testing.assert_close(result.state_dict[key], value.float(), rtol=0, atol=0, msg=key)
    heads = decode_alignment_heads(result.alignment_heads or b"", 2, 4)
    assert sorted(map(list, zip(*heads.nonzero(), strict=True))) == HEADS


def test_convert_int8_model_is_close(tmp_path: Path, small_whisper: Whisper) -> None:
    directory = write_ct2_dir(tmp_path / "ct2", small_whisper, int8=True)
    result = convert(read_model_bin(directory / "model.bin"), {})
    expected = small_whisper.state_dict()
    for key in ("encoder.blocks.0.attn.query.weight", "decoder.blocks.1.cross_attn.value.weight"):
        error = (result.state_dict[key] - expected[key]).abs().max().item()
        assert 0 < error <= expected[key].abs().max().item() / 127
    assert result.alignment_heads is None


def test_convert_refuses_nonzero_key_bias_and_foreign_positions(
    tmp_path: Path, small_whisper: Whisper
) -> None:
    variables = whisper_to_ct2(small_whisper)
    bias, dtype = variables["encoder/layer_0/self_attention/linear_0/bias"]
    bias = bias.copy()
    bias[DIMS.n_audio_state] = 0.5  # first element of the key part
    variables["encoder/layer_0/self_attention/linear_0/bias"] = (bias, dtype)
    path = write_model_bin(tmp_path / "a.bin", variables)
    with pytest.raises(ModelError, match="key bias"):
        convert(read_model_bin(path), {}, path)

    variables = whisper_to_ct2(small_whisper)
    variables["encoder/position_encodings/encodings"] = (
        sinusoids(DIMS.n_audio_ctx, DIMS.n_audio_state).numpy() + 0.1,
        F32,
    )
    path = write_model_bin(tmp_path / "b.bin", variables)
    with pytest.raises(ModelError, match="sinusoids"):
        convert(read_model_bin(path), {}, path)

    path = write_model_bin(tmp_path / "c.bin", whisper_to_ct2(small_whisper), spec="BartSpec")
    with pytest.raises(ModelError, match="not a Whisper model"):
        convert(read_model_bin(path), {}, path)


# --------------------------------------------------------------------------- resolution


def test_ct2_directory_converts_once_and_reuses_the_cache(
    tmp_path: Path, cache: Path, small_whisper: Whisper
) -> None:
    directory = write_ct2_dir(tmp_path / "my-model", small_whisper)
    first = resolve_model(str(directory))
    assert first.kind == "ct2" and first.converted
    assert first.checkpoint is not None and first.checkpoint.parent == cache / "models"
    mtime = first.checkpoint.stat().st_mtime_ns

    second = resolve_model(str(directory))
    assert not second.converted and second.checkpoint == first.checkpoint
    assert second.checkpoint.stat().st_mtime_ns == mtime
    assert second.alignment_heads == first.alignment_heads

    # A different source file (new content and mtime) converts again.
    os.utime(directory / "model.bin", ns=(mtime + 10**9, mtime + 10**9))
    third = resolve_model(str(directory))
    assert third.converted and third.checkpoint != first.checkpoint

    loaded = second.load("cpu")
    for key, value in small_whisper.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value, rtol=0, atol=0)
    heads = loaded.alignment_heads.to_dense().nonzero().tolist()
    assert heads == HEADS


def test_export_writes_a_checkpoint_plain_whisper_loads(
    tmp_path: Path, cache: Path, small_whisper: Whisper
) -> None:
    directory = write_ct2_dir(tmp_path / "m", small_whisper)
    out = export_model(str(directory), tmp_path)
    assert out == tmp_path / "m.pt"
    model = whisper.load_model(str(out), device="cpu")
    assert model.dims == DIMS
    checkpoint = torch.load(out, weights_only=True)
    assert decode_alignment_heads(checkpoint["alignment_heads"], 2, 4).sum() == len(HEADS)
    assert resolve_model(str(out)).kind == "checkpoint"


def test_missing_named_model_says_what_to_do(cache: Path) -> None:
    with pytest.raises(ModelError, match="--allow-download") as info:
        resolve_model("small.en")
    assert "\n" not in info.value.one_line()
    with pytest.raises(ModelError, match="unknown Whisper model 'huge'"):
        resolve_model("huge")
    with pytest.raises(ModelError, match="not found"):
        resolve_model(str(cache / "nothing.pt"))
    with pytest.raises(ModelError, match="CTranslate2 model directory"):
        resolve_model(str(cache.parent))


def test_allow_download_fetches_into_whisper_cache(
    tmp_path: Path, cache: Path, small_whisper: Whisper, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: list[str] = []

    def fake_download(url: str, root: str, in_memory: bool) -> str:
        # Stands in for the network only; what resolution does with the file is real.
        fetched.append(url)
        target = Path(root) / os.path.basename(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        checkpoint = {"dims": DIMS.__dict__, "model_state_dict": small_whisper.state_dict()}
        torch.save(checkpoint, target)
        return str(target)

    monkeypatch.setattr(whisper, "_download", fake_download)
    resolved = resolve_model("small.en", allow_download=True)
    assert resolved.kind == "download" and fetched == [whisper._MODELS["small.en"]]
    assert resolved.checkpoint == tmp_path / "xdg" / "whisper" / "small.en.pt"
    assert resolved.alignment_heads == whisper._ALIGNMENT_HEADS["small.en"]
    assert resolve_model("small.en").kind == "cached"  # offline from now on
    assert len(fetched) == 1

    def no_network(url: str, root: str, in_memory: bool) -> str:
        raise OSError("network is unreachable")

    monkeypatch.setattr(whisper, "_download", no_network)
    with pytest.raises(ModelError, match="cannot download Whisper model 'medium'"):
        resolve_model("medium", allow_download=True)


def test_cached_whisper_model_is_found_offline(
    tmp_path: Path, cache: Path, small_whisper: Whisper
) -> None:
    target = tmp_path / "xdg" / "whisper" / "small.en.pt"
    target.parent.mkdir(parents=True)
    torch.save({"dims": DIMS.__dict__, "model_state_dict": small_whisper.state_dict()}, target)
    resolved = resolve_model("small.en")
    assert resolved.kind == "cached" and resolved.checkpoint == target
    rows = {row.name: row for row in list_models()}
    assert rows["small.en"].kind == "cached" and rows["small.en"].available
    assert rows["medium"].kind == "downloadable" and not rows["medium"].available
    assert rows["tiny.en"].kind == "bundled" and rows["tiny.en"].available


def test_garbage_checkpoint_is_a_model_error(tmp_path: Path, cache: Path) -> None:
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="checkpoint"):
        resolve_model(str(bad)).load()


# --------------------------------------------------------------------------- audio input


def test_to_whisper_input_mixes_to_mono_and_resamples() -> None:
    rate = 44_100
    t = np.arange(rate) / rate
    tone = 0.5 * np.sin(2 * np.pi * 440 * t)
    stereo = np.stack([tone, tone], axis=1).astype(np.float32)
    out = to_whisper_input(Audio(stereo, rate))
    assert out.dtype == np.float32 and out.ndim == 1 and out.size == 16_000
    spectrum = np.abs(np.fft.rfft(out))
    assert abs(np.argmax(spectrum) - 440) <= 1  # 1 s of audio: bins are 1 Hz
    assert abs(np.sqrt(np.mean(out[1000:-1000] ** 2)) - 0.5 / np.sqrt(2)) < 0.01
    same = np.zeros(800, dtype=np.float32)
    assert to_whisper_input(Audio(same, 16_000)).size == 800
    with pytest.raises(TranscribeError):
        to_whisper_input(Audio(same, 0, Path("x.wav")))


def test_transcriber_resolves_lazily_and_pickles(
    tmp_path: Path, cache: Path, small_whisper: Whisper
) -> None:
    lazy = WhisperTranscriber("huge")  # nothing is resolved or loaded yet
    members = ("model_name", "language", "beam_size", "transcribe")  # the Transcriber protocol
    missing = object()
    assert all(inspect.getattr_static(lazy, name, missing) is not missing for name in members)
    with pytest.raises(ModelError, match="unknown Whisper model"):
        lazy.load()
    engine = WhisperTranscriber(str(write_ct2_dir(tmp_path / "m", small_whisper)), device="cpu")
    model = engine.load()
    assert engine.load() is model and not model.is_multilingual
    clone = pickle.loads(pickle.dumps(engine))
    assert clone.model_spec == engine.model_spec and clone._model is None
    with pytest.raises(ModelError, match="English-only"):
        WhisperTranscriber(engine.model_spec, language="de").load()
