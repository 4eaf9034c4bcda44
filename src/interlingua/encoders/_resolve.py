"""Models the user has: a sentence-transformers model, a Hugging Face encoder or an ONNX export.

Resolution order, fixed and reported when it fails (STYLE.md, "No silent fallbacks"):

1. a local path: a folder with ``modules.json`` / ``config_sentence_transformers.json``
   (sentence-transformers), a folder with ``config.json`` and weights (transformers), a
   ``.onnx`` file or a folder with ``model.onnx`` (or ``onnx/model.onnx``) and ``tokenizer.json``;
2. the local Hugging Face cache (``HF_HUB_CACHE``, ``HF_HOME``/hub or ~/.cache/huggingface/hub),
   read with ``local_files_only=True``;
3. the Hub, only when the user set ``INTERLINGUA_ALLOW_DOWNLOAD=1``.

A ``st:``, ``hf:`` or ``onnx:`` prefix (or ``kind=``) says which loader to use; without one the
folder's files decide, in the order above. Heavy libraries are imported only when a model loads.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._validation import check_choice, check_int
from ..errors import InputError, MissingDependencyError, ModelNotFoundError
from ._base import Encoder
from ._loaders import POOLINGS
from ._static import is_static_student

KINDS: tuple[str, ...] = ("st", "hf", "onnx")
OPTIONS: tuple[str, ...] = ("query_prefix", "passage_prefix", "threads", "batch_size")
ALLOW_DOWNLOAD_ENV = "INTERLINGUA_ALLOW_DOWNLOAD"

_KIND_NAMES = {"st": "sentence-transformers", "hf": "Hugging Face transformers", "onnx": "ONNX"}
_HF_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[A-Za-z0-9][\w.\-]*$")
_WEIGHTS = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
_NOT_DOWNLOADED = [
    "*.h5",
    "*.msgpack",
    "*.ot",
    "tf_model*",
    "flax_model*",
    "rust_model*",
    "coreml/*",
    "openvino/*",
]


def looks_like_model_reference(name: str) -> bool:
    """True for ``st:``/``hf:``/``onnx:`` references, paths and ``org/name`` Hugging Face ids."""
    if not isinstance(name, str) or not name.strip():
        return False
    if name.startswith(tuple(f"{k}:" for k in KINDS)):
        return True
    if name.startswith(("/", "./", "../", "~")) or name.endswith(".onnx"):
        return True
    try:
        exists = Path(name).expanduser().exists()
    except (OSError, ValueError):  # a name no file system accepts (NUL byte, too long)
        exists = False
    return exists or bool(_HF_ID.match(name))


@dataclass(frozen=True)
class _Found:
    kind: str
    path: Path  # the folder (st, hf) or the .onnx file
    where: str  # "local path" / "Hugging Face cache" / "Hugging Face Hub"
    tokenizer: Path | None = None  # onnx: the tokenizer.json
    note: str = ""


def load_model(
    ref: str,
    *,
    kind: str | None = None,
    pooling: str | None = None,
    max_tokens: int | None = None,
    device: str = "cpu",
    **options: Any,
) -> Encoder:
    """Load a model the user has, as an :class:`Encoder`.

    ``ref`` is a path or a Hugging Face id, optionally prefixed with ``st:``, ``hf:`` or ``onnx:``.
    ``pooling`` (``"mean"`` or ``"cls"``) applies to ``hf`` and ``onnx`` models; by default it is
    read from the folder's sentence-transformers Pooling config if there is one, else ``"mean"``.
    ``max_tokens`` lowers the model's own limit. Options: ``query_prefix``, ``passage_prefix``
    (strings put before texts of that role), ``threads`` (torch / onnxruntime threads, default
    1), ``batch_size``.
    """
    if not isinstance(ref, str) or not ref.strip():
        raise InputError(
            f"The 'ref' parameter of load_model() must be a non-empty string. Got {ref!r} instead."
        )
    prefix_kind, target = _split_prefix(ref)
    if kind is not None:
        check_choice(kind, KINDS, "kind")
        if prefix_kind is not None and prefix_kind != kind:
            raise InputError(f"The 'kind' parameter ({kind!r}) contradicts the prefix of {ref!r}.")
    kind = kind or prefix_kind
    if pooling is not None:
        check_choice(pooling, POOLINGS, "pooling")
    if max_tokens is not None:
        check_int(max_tokens, "max_tokens", low=1)
    if not isinstance(device, str):
        raise InputError(f"The 'device' parameter must be a string such as 'cpu'. Got {device!r} instead.")
    for key in options:
        if key not in OPTIONS:
            raise InputError(
                f"The {key!r} parameter is not an option of load_model(). Known options: {', '.join(OPTIONS)}."
            )

    tried: list[str] = []
    found = _from_local_path(target, kind, ref, tried)
    if found is None and _HF_ID.match(target):
        found = _from_hf_cache(target, kind, ref, tried)
    if found is None:
        raise _not_found(ref, target, tried)
    return _build(found, ref, pooling, max_tokens, device, options)


# -- resolution ---------------------------------------------------------------------------


def _split_prefix(ref: str) -> tuple[str | None, str]:
    for k in KINDS:
        if ref.startswith(f"{k}:"):
            return k, ref[len(k) + 1 :].strip()
    return None, ref.strip()


def _from_local_path(target: str, kind: str | None, ref: str, tried: list[str]) -> _Found | None:
    path = Path(target).expanduser()
    if not path.exists():
        tried.append(f"local path {path.resolve()}: does not exist")
        return None
    return _detect(path.resolve(), kind, ref, "local path")


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache, read from the environment now (not when huggingface_hub was imported)."""
    env = os.environ
    if env.get("HF_HUB_CACHE") or env.get("HUGGINGFACE_HUB_CACHE"):
        return Path(env.get("HF_HUB_CACHE") or env["HUGGINGFACE_HUB_CACHE"]).expanduser()
    if env.get("HF_HOME"):
        return Path(env["HF_HOME"]).expanduser() / "hub"
    base = Path(env["XDG_CACHE_HOME"]).expanduser() if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "huggingface" / "hub"


def _from_hf_cache(repo_id: str, kind: str | None, ref: str, tried: list[str]) -> _Found | None:
    cache = hf_cache_dir()
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:
        tried.append(f"Hugging Face cache {cache}: not read, huggingface_hub is not installed")
        return None
    try:
        snapshot = snapshot_download(repo_id, cache_dir=str(cache), local_files_only=True)
    except LocalEntryNotFoundError:
        tried.append(f"Hugging Face cache {cache}: no snapshot of {repo_id!r}")
    else:
        return _detect(Path(snapshot), kind, ref, "Hugging Face cache")
    if os.environ.get(ALLOW_DOWNLOAD_ENV) != "1":
        return None
    ignore = _NOT_DOWNLOADED + ([] if kind == "onnx" else ["onnx/*", "*.onnx", "*.onnx_data"])
    try:
        snapshot = snapshot_download(repo_id, cache_dir=str(cache), ignore_patterns=ignore)
    except Exception as exc:  # network, auth, disk: all reported with what was tried, cause chained
        tried.append(f"Hugging Face Hub ({ALLOW_DOWNLOAD_ENV}=1): {type(exc).__name__}: {exc}")
        raise _not_found(ref, repo_id, tried) from exc
    return _detect(Path(snapshot), kind, ref, "Hugging Face Hub")


def _not_found(ref: str, target: str, tried: list[str]) -> ModelNotFoundError:
    steps = "; ".join(f"({i}) {t}" for i, t in enumerate(tried, 1))
    if _HF_ID.match(target):
        hub = (
            f"the Hub was tried ({ALLOW_DOWNLOAD_ENV}=1)"
            if os.environ.get(ALLOW_DOWNLOAD_ENV) == "1"
            else "the Hub was not tried (interlingua stays offline)"
        )
        how = (
            f"download it once on a machine with network: `hf download {target}` (older huggingface_hub: "
            f"`huggingface-cli download {target}`) and copy the cache, or pass a local folder; "
            f"or set {ALLOW_DOWNLOAD_ENV}=1 to let interlingua download it"
        )
    else:
        hub = "it is not a Hugging Face id (org/name), so no cache was searched"
        how = "check the path, or give a Hugging Face id such as 'org/name' that is in the local cache"
    return ModelNotFoundError(
        f"Model {ref!r} was not found on this machine. Tried: {steps}; {hub}. To get it: {how}."
    )


def _detect(path: Path, kind: str | None, ref: str, where: str) -> _Found:
    """Decide how to load what ``path`` holds; raise when it holds nothing the requested loader reads."""
    if path.is_file():
        if path.suffix != ".onnx" or kind not in (None, "onnx"):
            raise ModelNotFoundError(
                f"Model {ref!r}: {path} is a file; interlingua loads a .onnx file, or a folder "
                "(sentence-transformers, Hugging Face transformers or ONNX export)."
            )
        tok = _first(path.parent / "tokenizer.json", path.parent.parent / "tokenizer.json")
        if tok is None:
            raise ModelNotFoundError(
                f"Model {ref!r}: no tokenizer.json beside {path} (looked in {path.parent} and {path.parent.parent})."
            )
        return _Found("onnx", path, where, tok)

    if kind is None and is_static_student(path):
        return _Found("static", path, where)
    checks = {"st": _as_st, "hf": _as_hf, "onnx": _as_onnx}
    for k in [kind] if kind else list(KINDS):
        found = checks[k](path, where)
        if found is not None:
            return found
    files = sorted(p.name for p in path.iterdir())[:20]
    wanted = {
        "st": "modules.json or config_sentence_transformers.json (sentence-transformers)",
        "hf": f"config.json and weights ({', '.join(_WEIGHTS)})",
        "onnx": "model.onnx or onnx/model.onnx, with tokenizer.json",
    }
    expected = "; ".join(wanted[k] for k in ([kind] if kind else KINDS))
    raise ModelNotFoundError(
        f"Model {ref!r}: the folder {path} ({where}) holds no model interlingua can load"
        f"{' as ' + _KIND_NAMES[kind] if kind else ''}. Expected: {expected}. Found: {', '.join(files) or 'nothing'}."
    )


def _as_st(path: Path, where: str) -> _Found | None:
    if (path / "modules.json").is_file():
        return _Found("st", path, where)
    if (path / "config_sentence_transformers.json").is_file():
        note = "no modules.json: sentence-transformers built its default Transformer + mean pooling"
        return _Found("st", path, where, note=note)
    return None


def _as_hf(path: Path, where: str) -> _Found | None:
    if (path / "config.json").is_file() and any((path / w).is_file() for w in _WEIGHTS):
        return _Found("hf", path, where)
    return None


def _as_onnx(path: Path, where: str) -> _Found | None:
    model = _first(path / "model.onnx", path / "onnx" / "model.onnx")
    tok = _first(path / "tokenizer.json", path / "onnx" / "tokenizer.json")
    if model is None or tok is None:
        return None
    return _Found("onnx", model, where, tok)


def _first(*paths: Path) -> Path | None:
    return next((p for p in paths if p.is_file()), None)


# -- building -----------------------------------------------------------------------------


def _require(what: str, *modules: str) -> None:
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise MissingDependencyError(what, "hf") from exc


def _build(
    found: _Found, ref: str, pooling: str | None, max_tokens: int | None, device: str, options: dict[str, Any]
) -> Encoder:
    if found.kind == "static":  # a folder from `interlingua students build static`
        from ._static import StaticEncoder

        return StaticEncoder(
            found.path, name=ref, **{k: v for k, v in options.items() if k in ("batch_size", "threads")}
        )
    source = f"{_KIND_NAMES[found.kind]} model at {found.path} ({found.where})"
    common = dict(name=ref, max_tokens=max_tokens, device=device, source=source, **options)
    if found.kind == "st":
        if pooling is not None:
            raise InputError(
                f"The 'pooling' parameter does not apply to {ref!r}: a sentence-transformers model carries its "
                f"own pooling. Load it with kind='hf' to choose the pooling."
            )
        _require(
            f"Loading {ref!r} with sentence-transformers", "torch", "transformers", "sentence_transformers"
        )
        from ._sentence_transformers import STEncoder

        return STEncoder(found.path, note=found.note, **common)

    folder = found.path if found.path.is_dir() else found.path.parent
    pooling, pooling_from = _choose_pooling(folder, pooling, ref)
    if found.kind == "hf":
        _require(f"Loading {ref!r} with Hugging Face transformers", "torch", "transformers")
        from ._hf import HFEncoder

        return HFEncoder(found.path, pooling=pooling, pooling_from=pooling_from, **common)
    from ._onnx_model import OnnxEncoder

    return OnnxEncoder(found.path, found.tokenizer, pooling=pooling, pooling_from=pooling_from, **common)


def _choose_pooling(folder: Path, pooling: str | None, ref: str) -> tuple[str, str]:
    """The pooling asked for, else the one a sentence-transformers Pooling config names, else mean."""
    if pooling is not None:
        return pooling, "as asked"
    for base in (folder, folder.parent):
        mode = _st_pooling_mode(base)
        if mode is None:
            continue
        if mode not in POOLINGS:
            raise InputError(
                f"{ref!r} was trained with {mode!r} pooling (its sentence-transformers Pooling config in {base}); "
                f"the hf and onnx loaders do {' or '.join(POOLINGS)}. Load it as 'st:{base}', or pass pooling= "
                "explicitly."
            )
        return mode, f"from {base}'s sentence-transformers Pooling config"
    return "mean", "default"


def _st_pooling_mode(folder: Path) -> str | None:
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for module in modules:
        if not str(module.get("type", "")).endswith("Pooling"):
            continue
        try:
            cfg = json.loads((folder / module.get("path", "") / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if isinstance(cfg.get("pooling_mode"), str):
            return {"mean_tokens": "mean", "cls_token": "cls"}.get(cfg["pooling_mode"], cfg["pooling_mode"])
        modes = [
            k[len("pooling_mode_") :] for k, v in cfg.items() if k.startswith("pooling_mode_") and v is True
        ]
        names = {"mean_tokens": "mean", "cls_token": "cls", "max_tokens": "max"}
        return "+".join(names.get(m, m) for m in modes) or None
    return None
