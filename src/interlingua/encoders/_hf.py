"""A Hugging Face transformers encoder from a local folder: AutoTokenizer + AutoModel + pooling.

Imported only by :func:`interlingua.encoders._resolve.load_model`, after it has checked that
torch and transformers are installed.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

from ..errors import ModelNotFoundError
from ._base import Encoder, EncoderInfo, EncodeStats, Role, TokenStates
from ._loaders import LoaderOptions, model_max_length, text_rows

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class HFEncoder(Encoder):
    """Sentence vectors from a transformers encoder: attention-masked mean or the first token (CLS)."""

    def __init__(self, path: str | Path, **options: Any) -> None:
        """``options``: the :class:`LoaderOptions` fields (name, pooling, max_tokens, prefixes, threads, ...)."""
        super().__init__()
        o = self._options = LoaderOptions(**options)
        self._pooling = o.pooling
        if o.threads is not None:
            torch.set_num_threads(o.threads)  # process-wide in torch: only when asked for
        if o.batch_size is not None:
            self.batch_size = o.batch_size
        self._device = torch.device(o.device)
        path = Path(path)
        try:
            self._tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            model = AutoModel.from_pretrained(str(path), local_files_only=True)
        except OSError as exc:
            raise ModelNotFoundError(
                f"Model {o.label(path)!r}: transformers could not load {path}: {exc}"
            ) from exc
        if self._tok.pad_token is None and self._tok.eos_token is not None:
            self._tok.pad_token = self._tok.eos_token  # padding is masked out; any id will do
        config = model.config
        if getattr(config, "is_encoder_decoder", False):
            model = model.get_encoder()
        if self._device.type == "cpu":
            model = model.float()  # half-precision checkpoints are slow and lossy on CPU
        self._model = model.to(self._device).eval()
        params = inspect.signature(self._model.forward).parameters
        self._inputs = tuple(k for k in _INPUTS if k in params)
        self._max_len = model_max_length(self._tok.model_max_length, config.to_dict(), o.max_tokens)
        self._info = EncoderInfo(
            name=o.label(path),
            dim=int(config.hidden_size),
            languages=None,
            max_tokens=self._max_len,
            description=(
                f"Hugging Face transformers {config.model_type}, {self._pooling} pooling ({o.pooling_from}), "
                f"{config.num_hidden_layers} layers"
            ),
            source=o.source or str(path),
        )

    @property
    def info(self) -> EncoderInfo:
        return self._info

    def _prefix(self, role: Role) -> str:
        return self._options.prefix(role)

    def _counts(self, texts: list[str]) -> list[int]:
        """Untruncated token counts, special tokens included (``verbose=False``: no length warning)."""
        return [len(ids) for ids in self._tok(texts, truncation=False, verbose=False)["input_ids"]]

    def _tokenize(self, texts: list[str], **extra: bool) -> dict[str, torch.Tensor]:
        return self._tok(
            texts, padding=True, truncation=True, max_length=self._max_len, return_tensors="pt", **extra
        )

    def _hidden(self, enc: dict[str, torch.Tensor]) -> torch.Tensor:
        inputs = {k: enc[k].to(self._device) for k in self._inputs if k in enc}
        with torch.inference_mode():
            return self._model(**inputs).last_hidden_state

    def _encode_batch(self, texts: list[str], role: Role) -> tuple[np.ndarray, EncodeStats]:
        prefix = self._prefix(role)
        full = [prefix + t for t in texts]
        counts = self._counts(full)
        enc = self._tokenize(full)
        hidden = self._hidden(enc)
        with torch.inference_mode():
            if self._pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = enc["attention_mask"].to(hidden.device).unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        vecs = pooled.float().cpu().numpy()
        stats = EncodeStats(
            texts=len(texts),
            tokens=sum(min(c, self._max_len) for c in counts),
            truncated=sum(c > self._max_len for c in counts),
        )
        return vecs, stats

    def _token_states_batch(self, texts: list[str], role: Role) -> list[TokenStates]:
        if not getattr(self._tok, "is_fast", False):
            raise NotImplementedError(
                f"Encoder {self.info.name!r} has a slow tokenizer without character offsets; "
                "token states need a fast tokenizer (a tokenizer.json in the model folder)."
            )
        prefix = self._prefix(role)
        enc = self._tokenize(
            [prefix + t for t in texts], return_offsets_mapping=True, return_special_tokens_mask=True
        )
        offsets = enc.pop("offset_mapping").numpy()
        special = enc.pop("special_tokens_mask").numpy()
        hidden = self._hidden(enc).float().cpu().numpy()
        mask = enc["attention_mask"].numpy().astype(bool)
        ids = enc["input_ids"].numpy()
        out = []
        for i, text in enumerate(texts):
            rows, offs = text_rows(offsets[i], mask[i] & (special[i] == 0), len(prefix))
            out.append(
                TokenStates(
                    text=text,
                    tokens=list(self._tok.convert_ids_to_tokens(ids[i, rows].tolist())),
                    offsets=offs,
                    states=np.ascontiguousarray(hidden[i, rows], dtype=np.float32),
                )
            )
        return out
