"""A sentence-transformers model from a local folder, run as an interlingua :class:`Encoder`.

The model keeps its own modules (pooling, dense layers, normalization); interlingua adds role
prompts, truncation counting and, when the first module is a transformer with a fast tokenizer,
token states with character offsets. Imported only by ``_resolve.load_model`` once it has
checked that torch, transformers and sentence-transformers are installed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from sentence_transformers import SentenceTransformer

from .._validation import check_int
from ..errors import ModelNotFoundError
from ._base import Encoder, EncoderInfo, EncodeStats, Role, TokenStates
from ._loaders import model_max_length, text_rows

# the prompt names a model may define for each role, in order of preference
_PROMPT_NAMES = {"query": ("query",), "passage": ("passage", "document")}


class STEncoder(Encoder):
    """Sentence vectors from ``SentenceTransformer.encode``, with the model's own pooling."""

    def __init__(
        self,
        path: str | Path,
        *,
        name: str | None = None,
        max_tokens: int | None = None,
        device: str = "cpu",
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        threads: int | None = None,
        batch_size: int | None = None,
        source: str = "",
        note: str = "",
    ) -> None:
        super().__init__()
        if threads is not None:
            torch.set_num_threads(check_int(threads, "threads", low=1))
        if batch_size is not None:
            self.batch_size = check_int(batch_size, "batch_size", low=1)
        path = Path(path)
        try:
            self._model = SentenceTransformer(str(path), device=device, local_files_only=True)
        except OSError as exc:
            raise ModelNotFoundError(
                f"Model {name or str(path)!r}: sentence-transformers could not load {path}: {exc}"
            ) from exc
        self._model.eval()
        tok = getattr(self._model[0], "tokenizer", None)
        self._tok = tok if callable(tok) else None
        declared = self._model.max_seq_length
        if declared is None and self._tok is not None:
            declared = self._tok.model_max_length
        self._max_len = model_max_length(declared, None, max_tokens)
        if self._model.max_seq_length is not None and self._model.max_seq_length > self._max_len:
            self._model.max_seq_length = self._max_len
        self._user_prefix = {"query": query_prefix, "passage": passage_prefix}
        prompts = {k: v for k, v in (self._model.prompts or {}).items() if v}
        self._prompt_name = {
            role: next((n for n in names if n in prompts), None) for role, names in _PROMPT_NAMES.items()
        }
        # sentence-transformers >= 6 renamed get_sentence_embedding_dimension
        get_dim = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        chain = " -> ".join(_describe(m) for m in self._model)
        used = ", ".join(f"{role}: {n!r}" for role, n in self._prompt_name.items() if n) or "none"
        self._info = EncoderInfo(
            name=name or str(path),
            dim=int(get_dim()),
            languages=None,
            max_tokens=self._max_len,
            description=f"sentence-transformers {chain}; prompts used {used}" + (f"; {note}" if note else ""),
            source=source or str(path),
        )

    @property
    def info(self) -> EncoderInfo:
        return self._info

    def _prompt(self, role: Role) -> tuple[dict[str, str], str]:
        """The ``encode`` keyword that selects the role's prompt, and the prompt text itself."""
        if self._user_prefix[role] is not None:
            return {"prompt": self._user_prefix[role]}, self._user_prefix[role]
        prompt_name = self._prompt_name[role] or self._model.default_prompt_name
        if prompt_name is None:
            return {}, ""
        return {"prompt_name": prompt_name}, self._model.prompts.get(prompt_name) or ""

    def _counts(self, texts: list[str]) -> list[int] | None:
        if self._tok is None:
            return None
        return [len(ids) for ids in self._tok(texts, truncation=False, verbose=False)["input_ids"]]

    def _encode_batch(self, texts: list[str], role: Role) -> tuple[np.ndarray, EncodeStats]:
        kwargs, prompt = self._prompt(role)
        vecs = self._model.encode(
            texts,
            batch_size=len(texts),
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=False,
            **kwargs,
        )
        counts = self._counts([prompt + t for t in texts])
        stats = EncodeStats(texts=len(texts))
        if counts is not None:
            stats.tokens = sum(min(c, self._max_len) for c in counts)
            stats.truncated = sum(c > self._max_len for c in counts)
        return np.asarray(vecs, dtype=np.float32), stats

    def _token_states_batch(self, texts: list[str], role: Role) -> list[TokenStates]:
        if self._tok is None or not getattr(self._tok, "is_fast", False):
            raise NotImplementedError(
                f"Encoder {self.info.name!r} does not expose token states: its first module "
                f"({type(self._model[0]).__name__}) has no fast tokenizer to give character offsets."
            )
        kwargs, prompt = self._prompt(role)
        states = self._model.encode(
            texts,
            batch_size=len(texts),
            show_progress_bar=False,
            output_value="token_embeddings",
            convert_to_numpy=False,
            **kwargs,
        )
        full = [prompt + t for t in texts]
        if getattr(self._model[0], "do_lower_case", False):
            full = [t.lower() for t in full]
        enc = self._tok(
            full,
            truncation=True,
            max_length=self._max_len,
            return_offsets_mapping=True,
            return_special_tokens_mask=True,
        )
        out = []
        for i, text in enumerate(texts):
            ids = enc["input_ids"][i]
            rows_all = states[i].float().cpu().numpy()
            if len(ids) != rows_all.shape[0]:
                raise NotImplementedError(
                    f"Encoder {self.info.name!r}: the model returned {rows_all.shape[0]} token vectors for "
                    f"{len(ids)} tokens of its tokenizer, so token offsets cannot be trusted."
                )
            keep = np.asarray(enc["special_tokens_mask"][i]) == 0
            rows, offs = text_rows(np.asarray(enc["offset_mapping"][i]), keep, len(prompt))
            out.append(
                TokenStates(
                    text=text,
                    tokens=list(self._tok.convert_ids_to_tokens([ids[r] for r in rows])),
                    offsets=offs,
                    states=np.ascontiguousarray(rows_all[rows], dtype=np.float32),
                )
            )
        return out


def _describe(module: torch.nn.Module) -> str:
    mode = getattr(module, "pooling_mode", None)
    if mode is None and hasattr(module, "get_pooling_mode_str"):
        mode = module.get_pooling_mode_str()
    if isinstance(mode, (tuple, list)):
        mode = "+".join(mode)
    return f"{type(module).__name__}({mode})" if mode else type(module).__name__
