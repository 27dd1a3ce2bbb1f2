"""The Whisper model as a scorer: how likely a text is, given a window of the audio.

Used to verify narration issues (``align.verify``): the decoder is teacher-forced on the
article's text and on the heard text of one audio window, after one encoder pass, and
the two are compared per token. The sequence is the one whisper's own
``timing.find_alignment`` builds: ``<|startoftranscript|>`` [language, task]
``<|notimestamps|>`` text ``<|endoftext|>``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from audio_pipeline.align.verify import MAX_WINDOW, Window

SAMPLE_RATE = 16_000
# Tokens after the differing span that heard_vs_article_llr also averages (see there).
FOLLOWING_TOKENS = 2


@dataclass(frozen=True)
class CandidateScore:
    """One candidate text's teacher-forced log-probability under the window's audio.

    ``tokens`` are the text tokens; ``token_logprobs`` has one entry per scored token,
    the text tokens then ``<|endoftext|>`` (so ``n_tokens == len(tokens) + 1``): ending
    the text is part of the claim "this is all that was said" and must be paid for.
    """

    text: str
    tokens: tuple[int, ...]
    token_logprobs: tuple[float, ...]
    window: Window

    @property
    def n_tokens(self) -> int:
        return len(self.token_logprobs)

    @property
    def sum_logprob(self) -> float:
        return float(sum(self.token_logprobs))

    @property
    def mean_logprob(self) -> float:
        return self.sum_logprob / self.n_tokens


def whisper_tokenizer(model: Any, language: str) -> Any:
    from whisper.tokenizer import get_tokenizer

    return get_tokenizer(
        model.is_multilingual,
        num_languages=model.num_languages,
        language=language if model.is_multilingual else "en",
        task="transcribe",
    )


def encode_text(tokenizer: Any, text: str) -> list[int]:
    """Text tokens as Whisper emits them: with a leading space.

    Whisper's decoded text starts with a space (" The cat"); "The" and " The" are
    different tokens, and the unspaced one is far less likely after
    ``<|notimestamps|>``. Scoring without the space would penalise the first word of
    every candidate, and unevenly when the candidates start differently.
    """
    text = " ".join(text.split())
    return list(tokenizer.encode(" " + text)) if text else []


def score_candidates(
    model: Any,
    samples16k: np.ndarray,
    start: float,
    end: float,
    candidates: Sequence[str],
    *,
    language: str = "en",
    context: float = 2.0,
    silent: bool = False,
) -> list[CandidateScore]:
    """Teacher-forced log-probabilities of each candidate text of one audio window.

    ``samples16k`` is the whole file (16 kHz mono float32, as whisper.load_audio gives);
    the window is ``verification_window(start, end, duration, context)``. Each candidate
    must be the full text of that window (see build_candidates). The encoder runs once;
    the decoder runs once on all candidates, padded to one length (its attention is
    causal, so padding after a sequence's ``<|endoftext|>`` changes none of its scores).
    """
    import torch
    from whisper.audio import log_mel_spectrogram, pad_or_trim

    if not candidates:
        return []
    samples = np.asarray(samples16k, dtype=np.float32).reshape(-1)
    window = Window(max(0.0, start - context), min(samples.size / SAMPLE_RATE, end + context))
    if window.duration > MAX_WINDOW:
        raise ValueError(f"window of {window.duration:.1f} s exceeds {MAX_WINDOW:.0f} s")
    clip = samples[int(round(window.start * SAMPLE_RATE)) : int(round(window.end * SAMPLE_RATE))]

    tokenizer = whisper_tokenizer(model, language)
    prefix = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
    texts = [encode_text(tokenizer, c) for c in candidates]
    seqs = [prefix + t + [tokenizer.eot] for t in texts]
    longest = max(len(s) for s in seqs)
    if longest > model.dims.n_text_ctx:
        raise ValueError(f"a candidate has {longest} tokens; the decoder takes "
                         f"{model.dims.n_text_ctx}")

    dtype = next(model.parameters()).dtype  # fp16 on a GPU model, fp32 on CPU
    with torch.inference_mode():
        # the clip padded with silence to 30 s, as Whisper was trained (log-mel of the
        # padded audio, not padded log-mel: the padding must be the log of silence)
        if silent:  # the same length of silence: what the texts score on the prior alone
            clip = np.zeros_like(clip)
        if SHORT_CONTEXT:
            features = encode_short(model, clip, dtype)
        else:
            mel = log_mel_spectrogram(pad_or_trim(torch.from_numpy(clip)), model.dims.n_mels)
            features = model.embed_audio(mel[None].to(model.device, dtype))
        batch = torch.full((len(seqs), longest), tokenizer.eot, dtype=torch.long)
        for i, s in enumerate(seqs):
            batch[i, : len(s)] = torch.tensor(s)
        batch = batch.to(model.device)
        logits = model.decoder(batch, features.expand(len(seqs), -1, -1))
        # full-vocabulary softmax (not truncated at eot as in find_alignment): the
        # chance of <|endoftext|> is one of the things compared
        logp = torch.log_softmax(logits.float(), dim=-1)

    out: list[CandidateScore] = []
    p = len(prefix)
    for i, (cand, toks, s) in enumerate(zip(candidates, texts, seqs, strict=True)):
        targets = torch.tensor(s[p:], device=logp.device)
        # position j predicts token j + 1: the prefix's last position predicts the first text token
        lp = logp[i, p - 1 : len(s) - 1].gather(-1, targets[:, None])[:, 0]
        out.append(CandidateScore(cand, tuple(toks), tuple(lp.tolist()), window))
    return out


def differing_tokens(a: CandidateScore, b: CandidateScore) -> tuple[int, int, int]:
    """(common prefix, tokens of a between prefix and common suffix, same for b)."""
    ta, tb = a.tokens, b.tokens
    pre = 0
    while pre < min(len(ta), len(tb)) and ta[pre] == tb[pre]:
        pre += 1
    suf = 0
    while suf < min(len(ta), len(tb)) - pre and ta[-1 - suf] == tb[-1 - suf]:
        suf += 1
    return pre, len(ta) - pre - suf, len(tb) - pre - suf


def heard_vs_article_llr(
    article: CandidateScore, heard: CandidateScore, following: int = FOLLOWING_TOKENS,
    head: int | None = None,
) -> float:
    """How much less likely the article's text is than the heard text, per token, over
    the tokens where they differ.

    Each side's mean log-probability over its differing tokens (those between the
    candidates' common token prefix and common suffix) and the ``following`` tokens
    after them (shared text, or <|endoftext|> at the window's end), heard minus
    article. Why:

    - Restricted to the edit: the shared prefix cancels exactly (same tokens, causal
      decoder), and a few tokens past the edit the decoder has re-synchronised, so the
      rest of the suffix adds noise (each side conditions on a different past) and,
      summed, grows with the window: a whole-window mean dilutes one word among 30
      shared tokens, a whole-window sum favours whichever side is shorter.
    - The tokens after the edit are what catch skips and insertions, and let an empty
      side be scored at all: after a skipped phrase the article side must say words the
      audio lacks and the heard side goes straight on; after an ad-lib the article side
      jumps to the next article word while the audio is saying the ad-lib (very
      unlikely); when the span ends the window, <|endoftext|> pays. Two tokens, not
      one: a lone token is a noisy witness (a shared word Whisper wrote oddly, "and
      then" for ". Then", can decide alone); more than two only dilute.
    - Each side's own mean, not a shared denominator: Whisper ends or skips ahead
      cheaply (it was trained on transcripts that leave speech out: a 3 s sentence
      omitted costs ~9 nats in all), so a shared denominator drowns an ad-lib's one
      decisive token among the ad-lib's own; per-side means compare per-token surprise.
    Positive: the heard text is likelier. See evaluation.txt for the values seen.
    """
    if article.window != heard.window:
        raise ValueError("candidates scored on different windows")
    pre, na, nh = differing_tokens(article, heard)
    if head is not None:
        # only the first tokens where the texts part: "what does the audio say next
        # here?" A long skipped sentence, forced through token by token, turns fluent
        # after its first words and would dilute the one place that decides.
        na, nh, following = min(na, head), min(nh, head), 0 if min(na, nh) >= head else following
    la = article.token_logprobs[pre : pre + na + following]
    lh = heard.token_logprobs[pre : pre + nh + following]
    return float(np.mean(lh) - np.mean(la))



SHORT_CONTEXT = True
PAD_AFTER = 1.0  # s of silence after the clip: the encoder sees where the speech ends


def encode_short(model: Any, clip: np.ndarray, dtype: Any) -> Any:
    """The encoder over just the clip (plus PAD_AFTER), not 30 s of mostly padding.

    Whisper's encoder always runs on 30 s (1500 positions); a verification window is
    a few seconds, so most of that work is on silence. This runs the encoder's own
    layers on the clip's frames with the first positional embeddings (the audio-context
    trick of whisper.cpp's --audio-ctx), about 4x less work on a 6 s window. The
    decoder attends to fewer, but the same, frames.
    """
    import torch
    import torch.nn.functional as F  # noqa: N812
    from whisper.audio import N_SAMPLES, log_mel_spectrogram

    enc = model.encoder
    n = min(N_SAMPLES, clip.size + int(PAD_AFTER * SAMPLE_RATE))
    n += (-n) % 320  # whole encoder positions (two mel frames of 160 samples)
    padded = np.zeros(n, dtype=np.float32)
    padded[: min(clip.size, n)] = clip[:n]
    mel = log_mel_spectrogram(torch.from_numpy(padded), model.dims.n_mels)[:, : n // 160]
    x = F.gelu(enc.conv1(mel[None].to(model.device, dtype)))
    x = F.gelu(enc.conv2(x)).permute(0, 2, 1)
    x = (x + enc.positional_embedding[: x.shape[1]]).to(x.dtype)
    for block in enc.blocks:
        x = block(x)
    return enc.ln_post(x)


class WhisperSpanScorer:
    """``align.verify.SpanScorer`` over one recording with an openai-whisper model.

    ``lock`` serialises use of the model with transcription in the same process
    (whisper keeps decoding caches on the model object).
    """

    def __init__(self, model: Any, samples16k: np.ndarray, language: str = "en",
                 lock: Any = None):
        self.model = model
        self.samples = np.asarray(samples16k, dtype=np.float32).reshape(-1)
        self.language = language
        self.lock = lock or threading.Lock()

    def __call__(self, window: Window, article: str, heard: str,
                 head: int | None = None, acoustic: bool = False) -> float:
        """``acoustic``: less the same ratio over silence, i.e. without what the decoder
        prefers as text alone. Whisper's decoder is also a language model: it likes "and"
        after "parameters," whatever was said, and a sound-alike function word can win
        on that prior; only the audio's share of the preference is evidence."""
        with self.lock:
            a, h = score_candidates(self.model, self.samples, window.start, window.end,
                                    [article, heard], language=self.language, context=0.0)
            llr = heard_vs_article_llr(a, h, head=head)
            # at or below 0 the audio gives no evidence either way: skip the second pass
            if acoustic and llr > 0.0:
                a0, h0 = score_candidates(self.model, self.samples, window.start, window.end,
                                          [article, heard], language=self.language,
                                          context=0.0, silent=True)
                llr -= heard_vs_article_llr(a0, h0, head=head)
        return llr
