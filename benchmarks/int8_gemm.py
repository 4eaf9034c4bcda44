"""How much int8 can give on this CPU: e5-small's matrix products, fp32 against onnxruntime's
int8 kernels, one thread, same run; and where the int8 model's time goes.

Why: e5-small-int8's speed over fp32 is bounded by how much faster onnxruntime's int8 matrix
products are than its fp32 ones on the CPU at hand (without VNNI, u8 x s8 products go through
``vpmaddubsw`` + ``vpmaddwd``: at most 2x the fp32 FMA rate), and by the share of the model that
is not a matrix product. This measures both, on e5-small's real layer-0 weights and shapes:

- ``fp32``: ``MatMul`` on the dequantized weights (what e5-small runs);
- ``u8s8``, ``u8s8-rr``, ``u8u8``: ``DynamicQuantizeMatMul`` of each recipe in
  encoders/_quantize.py (what e5-small-int8 runs; activations quantized per call);
- ``q4-int8`` / ``q4-fp32``: ``MatMulNBits`` on the bundled 4-bit weights themselves (exact: the
  wheel's Q4_0 blocks of 32 are MatMulNBits' layout), computing in int8 (accuracy_level 4) or
  fp32 (accuracy_level 1).

Each shape's time is the best of ``--repeat`` runs of ``--iters`` products over ``--tokens``
rows (the encode benchmark's batches of 16 Tatoeba sentences hold ~250 tokens); ``layer`` sums
one layer's four products (QKV, attention out, FFN in, FFN out). ``--profile`` then runs the
e5-small-int8 graph over the encode benchmark's 2,000 sentences with onnxruntime's profiler and
prints each operator's share of the time.

    python benchmarks/int8_gemm.py
    python benchmarks/int8_gemm.py --profile --data ../shared/data/tatoeba
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"  # before numpy / onnxruntime start their thread pools

import argparse  # noqa: E402
import collections  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encode import load_sentences, timed  # noqa: E402

GEMM_OPS = {"MatMul", "DynamicQuantizeMatMul", "MatMulInteger", "QAttention", "MatMulNBits", "Attention"}


def graph(node, inits: list, k: int, n: int):
    from onnx import TensorProto, helper

    g = helper.make_graph(
        [node],
        "gemm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["m", k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["m", n])],
        inits,
    )
    m = helper.make_model(
        g, opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)]
    )
    m.ir_version = 8
    return m


def shapes(f) -> dict[str, tuple[str, int, int]]:
    """One layer's four products: name -> (weight in the E5S1 file, K, N)."""
    h, ff = f.config.hidden, f.config.ffn
    return {
        "qkv": ("q", h, 3 * h),
        "attn-out": ("ao", h, h),
        "ffn-in": ("fi", h, ff),
        "ffn-out": ("fo", ff, h),
    }


def weights(f, short: str, k: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, K) fp32, and the 4-bit blocks repacked for MatMulNBits: (N, K/32, 16) uint8, (N*K/32,) scales."""
    names = [f"l0.{c}.w" for c in "qkv"] if short == "q" else [f"l0.{short}.w"]
    rows = n // len(names)
    dense = np.concatenate([f.tensor(name, (rows, k)) for name in names])
    scales, packed = zip(*(f.q4_parts(name, rows) for name in names))
    scales, packed = np.concatenate(scales), np.concatenate(packed)
    nib = np.concatenate([packed & 0x0F, packed >> 4], axis=-1)  # (N, blocks, 32): value j of a block
    nbits = (nib[:, :, 0::2] | (nib[:, :, 1::2] << 4)).astype(np.uint8)  # value j: byte j // 2
    return dense, nbits, scales.reshape(-1).astype(np.float32)


def engines(f, short: str, k: int, n: int, work: Path) -> dict:
    import onnx
    from onnx import helper, numpy_helper

    from interlingua.encoders._quantize import RECIPES, open_session, quantize

    dense, nbits, scales = weights(f, short, k, n)
    w = numpy_helper.from_array(np.ascontiguousarray(dense.T), "w")
    src = work / f"{short}.onnx"
    onnx.save(graph(helper.make_node("MatMul", ["x", "w"], ["y"], name="mm"), [w], k, n), src)
    out = {"fp32": open_session(src)}
    for name, recipe in RECIPES.items():
        dst = work / f"{short}-{name}.onnx"
        quantize(str(src), str(dst), recipe)
        out[name] = open_session(dst)
    for name, level in (("q4-int8", 4), ("q4-fp32", 1)):
        node = helper.make_node(
            "MatMulNBits",
            ["x", "b", "s"],
            ["y"],
            domain="com.microsoft",
            K=k,
            N=n,
            bits=4,
            block_size=32,
            accuracy_level=level,
        )
        inits = [numpy_helper.from_array(nbits, "b"), numpy_helper.from_array(scales, "s")]
        dst = work / f"{short}-{name}.onnx"
        onnx.save(graph(node, inits, k, n), dst)
        out[name] = open_session(dst)
    return out


def gemms(args) -> dict:
    from interlingua.encoders._e5 import bundled_model_path
    from interlingua.encoders._e5file import read_e5_file

    f = read_e5_file(bundled_model_path())
    rng = np.random.default_rng(0)
    results: dict = {}
    layer = shapes(f)
    with tempfile.TemporaryDirectory() as tmp:
        for shape, (short, k, n) in layer.items():
            x = rng.standard_normal((args.tokens, k)).astype(np.float32)
            row = {}
            ref = None
            for name, sess in engines(f, short, k, n, Path(tmp)).items():
                (y,) = sess.run(None, {"x": x})  # warm-up, and the output compared
                sec, _ = timed(lambda: [sess.run(None, {"x": x}) for _ in range(args.iters)], args.repeat)  # noqa: B023
                sec /= args.iters
                ref = y if ref is None else ref
                err = float(np.abs(y - ref).max() / np.abs(ref).max())
                row[name] = {"us": round(sec * 1e6, 1), "max_rel_err": round(err, 5)}
            results[shape] = row
    names = list(results["qkv"])
    results["layer"] = {name: {"us": round(sum(results[s][name]["us"] for s in layer), 1)} for name in names}
    print(
        f"{args.tokens} rows, one thread, best of {args.repeat} x {args.iters} products; ratio = fp32 time / engine time"
    )
    print(f"{'shape':10s}" + "".join(f"{n:>17s}" for n in names))
    for shape, row in results.items():
        base = row["fp32"]["us"]
        print(f"{shape:10s}" + "".join(f"{row[n]['us']:9.0f}us {base / row[n]['us']:4.2f}x" for n in names))
    return results


def profile(args) -> dict:
    from interlingua.encoders import get_encoder
    from interlingua.encoders._e5 import onnx_model_path
    from interlingua.encoders._quantize import open_session

    enc = get_encoder("e5-small-int8")
    texts = load_sentences(args.data, 2000)
    enc.encode(texts[:16])  # builds and checks the int8 graph for this CPU
    path = Path(onnx_model_path(enc.model_file, "fp32")).parent / enc.quantization["file"]
    with tempfile.TemporaryDirectory() as tmp:
        sess = open_session(path, profile_prefix=str(Path(tmp) / "int8"))
        order = np.argsort([len(t) for t in texts], kind="stable")[::-1]
        for s in range(0, len(texts), 16):
            b = enc.tokenize([texts[i] for i in order[s : s + 16]], "passage")
            sess.run(["sentence_embedding"], {"input_ids": b.ids, "attention_mask": b.mask})
        events = json.loads(Path(sess.end_profiling()).read_text())
    per_op: collections.Counter = collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            per_op[e["args"]["op_name"]] += e["dur"]
    total = sum(per_op.values())
    shares = {op: round(100 * us / total, 1) for op, us in per_op.most_common()}
    gemm = sum(v for op, v in shares.items() if op in GEMM_OPS)
    print(
        f"e5-small-int8 ({enc.quantization['recipe']}) over 2,000 sentences: operator shares of kernel time (%)"
    )
    for op, share in list(shares.items())[:10]:
        print(f"  {op:24s} {share:5.1f}")
    print(f"  matrix products {gemm:.1f}%, the rest {100 - gemm:.1f}%")
    return {"recipe": enc.quantization["recipe"], "shares": shares, "gemm_share": round(gemm, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, default=256, help="rows of each product")
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="also profile the e5-small-int8 graph")
    ap.add_argument("--data", type=Path, default=Path("../shared/data/tatoeba"))
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()

    from interlingua.encoders._quantize import SHOWN_FLAGS, cpu_flags

    flags = sorted(set(SHOWN_FLAGS) & cpu_flags())
    print(
        f"CPU flags: {', '.join(flags) or 'none of ' + ', '.join(SHOWN_FLAGS)}; load {os.getloadavg()[0]:.2f}"
    )
    results = {"cpu_flags": flags, "gemm": gemms(args)}
    if args.profile:
        results["profile"] = profile(args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
