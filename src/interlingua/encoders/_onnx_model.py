"""A user's ONNX feature-extraction export, run with onnxruntime and a ``tokenizers`` tokenizer.json.

The graph takes ``input_ids`` and ``attention_mask`` (and ``token_type_ids`` /
``position_ids`` when it declares them) and returns token states (``last_hidden_state`` or
``token_embeddings``, rank 3), pooled here, or an already pooled output (rank 2). No torch needed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Encoding, Tokenizer

from ..errors import InputError, ModelNotFoundError
from ._base import Encoder, EncoderInfo, EncodeStats, Role, TokenStates
from ._loaders import LoaderOptions, model_max_length, text_rows

_TOKEN_OUTPUTS = ("last_hidden_state", "token_embeddings")
_POOLED_OUTPUTS = ("sentence_embedding", "pooler_output", "embeddings")


class OnnxEncoder(Encoder):
    """Sentence vectors from an ONNX encoder: mean (default) or CLS pooling over its token states."""

    def __init__(self, model_path: str | Path, tokenizer_path: str | Path, **options: Any) -> None:
        """``options``: the :class:`LoaderOptions` fields; threads default to 1 (a session option)."""
        super().__init__()
        import onnxruntime as ort

        o = self._options = LoaderOptions(**options)
        threads = o.threads if o.threads is not None else 1
        self._pooling = o.pooling
        if o.batch_size is not None:
            self.batch_size = o.batch_size
        model_path, tokenizer_path = Path(model_path), Path(tokenizer_path)
        label = o.label(model_path)

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(str(model_path), opts, providers=_providers(ort, o.device))
        except Exception as exc:  # onnxruntime raises its own untyped errors for unreadable graphs
            raise ModelNotFoundError(
                f"Model {label!r}: onnxruntime could not load {model_path}: {exc}"
            ) from exc
        self._input_names = [i.name for i in self._session.get_inputs()]
        missing = [k for k in ("input_ids", "attention_mask") if k not in self._input_names]
        if missing:
            raise ModelNotFoundError(
                f"Model {label!r}: {model_path} is not a feature-extraction export; it lacks the inputs "
                f"{missing} (it has {self._input_names})."
            )
        self._output, rank, out_dim = _pick_output(self._session, label, model_path)
        self._token_level = rank == 3

        self._tok = Tokenizer.from_file(str(tokenizer_path))
        # its own padding and truncation settings, read before they are removed
        saved = json.loads(self._tok.to_str())
        self._tok.no_padding()
        self._tok.no_truncation()
        folder = tokenizer_path.parent
        config = _read_json(model_path.parent / "config.json") or _read_json(folder / "config.json")
        tok_config = _read_json(folder / "tokenizer_config.json") or {}
        declared = tok_config.get("model_max_length")
        if not (isinstance(declared, int) and declared < 1_000_000) and not config:
            declared = (saved.get("truncation") or {}).get("max_length")
        self._max_len = model_max_length(declared, config, o.max_tokens)
        self._trunc = Tokenizer.from_str(self._tok.to_str())
        self._trunc.enable_truncation(self._max_len)
        self._pad_id = _pad_id(self._tok, saved, tok_config)

        dim = (config or {}).get("hidden_size") if self._token_level else None
        if not isinstance(dim, int):
            dim = out_dim if isinstance(out_dim, int) else self._probe_dim()
        detail = f"{self._pooling} pooling ({o.pooling_from})" if self._token_level else "pooled by the graph"
        self._info = EncoderInfo(
            name=label,
            dim=int(dim),
            languages=None,
            max_tokens=self._max_len,
            description=f"ONNX model, output {self._output!r}, {detail}",
            source=o.source or str(model_path),
        )

    @property
    def info(self) -> EncoderInfo:
        return self._info

    def _encodings(self, texts: list[str]) -> tuple[list[Encoding], list[int]]:
        """Encodings cut at the model's limit, and the untruncated token counts."""
        encs = self._tok.encode_batch(texts)
        counts = [len(e.ids) for e in encs]
        long = [i for i, c in enumerate(counts) if c > self._max_len]
        if long:
            for i, e in zip(long, self._trunc.encode_batch([texts[i] for i in long])):
                encs[i] = e
        return encs, counts

    def _run(self, encs: list[Encoding]) -> tuple[np.ndarray, np.ndarray]:
        width = max((len(e.ids) for e in encs), default=0) or 1
        ids = np.full((len(encs), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        for i, e in enumerate(encs):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        if "position_ids" in self._input_names:
            feeds["position_ids"] = np.broadcast_to(np.arange(width, dtype=np.int64), ids.shape).copy()
        (out,) = self._session.run([self._output], feeds)
        return np.asarray(out, dtype=np.float32), mask

    def _encode_batch(self, texts: list[str], role: Role) -> tuple[np.ndarray, EncodeStats]:
        prefix = self._options.prefix(role)
        encs, counts = self._encodings([prefix + t for t in texts])
        out, mask = self._run(encs)
        if not self._token_level:
            vecs = out
        elif self._pooling == "cls":
            vecs = out[:, 0]
        else:
            m = mask[..., None].astype(np.float32)
            vecs = (out * m).sum(1) / np.maximum(m.sum(1), 1.0)
        stats = EncodeStats(
            texts=len(texts),
            tokens=sum(min(c, self._max_len) for c in counts),
            truncated=sum(c > self._max_len for c in counts),
        )
        return np.ascontiguousarray(vecs, dtype=np.float32), stats

    def _token_states_batch(self, texts: list[str], role: Role) -> list[TokenStates]:
        if not self._token_level:
            raise NotImplementedError(
                f"Encoder {self.info.name!r} does not expose token states: its ONNX graph returns only "
                f"a pooled output ({self._output!r})."
            )
        prefix = self._options.prefix(role)
        encs, _ = self._encodings([prefix + t for t in texts])
        out, _ = self._run(encs)
        result = []
        for i, (text, e) in enumerate(zip(texts, encs)):
            keep = np.asarray(e.special_tokens_mask, dtype=np.int64) == 0
            rows, offs = text_rows(np.asarray(e.offsets), keep, len(prefix))
            result.append(
                TokenStates(
                    text=text,
                    tokens=[e.tokens[r] for r in rows],
                    offsets=offs,
                    states=np.ascontiguousarray(out[i, rows], dtype=np.float32),
                )
            )
        return result

    def _probe_dim(self) -> int:
        out, _ = self._run([self._trunc.encode("a")])
        return int(out.shape[-1])


def _providers(ort: Any, device: str) -> list[str]:
    if device == "cpu":
        return ["CPUExecutionProvider"]
    if device.startswith("cuda") and "CUDAExecutionProvider" in ort.get_available_providers():
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    raise InputError(
        f"The 'device' parameter must be 'cpu' or, with onnxruntime-gpu installed, 'cuda'. Got {device!r} instead "
        f"(available onnxruntime providers: {', '.join(ort.get_available_providers())})."
    )


def _pick_output(session: Any, label: str, path: Path) -> tuple[str, int, int | None]:
    outputs = {o.name: o for o in session.get_outputs()}
    for names, rank in ((_TOKEN_OUTPUTS, 3), (_POOLED_OUTPUTS, 2)):
        for n in names:
            if n in outputs:
                return n, rank, _last_dim(outputs[n].shape)
    for o in outputs.values():  # an export with other output names: take the first of rank 3, then 2
        if len(o.shape) == 3:
            return o.name, 3, _last_dim(o.shape)
    for o in outputs.values():
        if len(o.shape) == 2:
            return o.name, 2, _last_dim(o.shape)
    raise ModelNotFoundError(
        f"Model {label!r}: {path} has no output of token states (rank 3) or sentence vectors (rank 2); "
        f"outputs: {', '.join(f'{n} {o.shape}' for n, o in outputs.items())}."
    )


def _last_dim(shape: list[Any]) -> int | None:
    return shape[-1] if shape and isinstance(shape[-1], int) else None


def _pad_id(tok: Tokenizer, saved: dict[str, Any], tok_config: dict[str, Any]) -> int:
    padding = saved.get("padding") or {}
    if isinstance(padding.get("pad_id"), int):
        return padding["pad_id"]
    declared = tok_config.get("pad_token")
    if isinstance(declared, dict):  # older tokenizer_config.json: {"content": "<pad>", ...}
        declared = declared.get("content")
    for token in (declared, "[PAD]", "<pad>"):
        if isinstance(token, str) and tok.token_to_id(token) is not None:
            return int(tok.token_to_id(token))
    return 0


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
