#!/usr/bin/env python3
"""The STUDY decoder's shape as an ONNX graph, for ONNX Runtime Web's WebGPU provider (the peer of
the WGSL kernels in core/src/infer/webgpu/study.rs; scripts/bench-study-webgpu.sh runs both).

The graph is what our kernels compute, written as ONNX Runtime would be given it by anyone
exporting such a decoder: title embeddings (Gather) plus the per-token input features (positions,
durations, days: one float input, as our host builds them), then per layer a pre-norm masked
multi-head attention and ReLU feed-forward block, the query tokens gathered, the final LayerNorm
and the vocabulary layer. The STUDY mask is an additive float input [N, 1, L, L] (ONNX has no way
to compute it from metadata), which is how a PyTorch export passes `attn_mask`.

Weights are random (timing only; the shape is what matters). Needs `pip install onnx numpy`.

Usage: peer_study_onnx.py OUT.onnx --d-model 128 --heads 4 --layers 2 --d-ff 512 --vocab V
"""
import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--d-model", type=int, default=128)
ap.add_argument("--heads", type=int, default=4)
ap.add_argument("--layers", type=int, default=2)
ap.add_argument("--d-ff", type=int, default=512)
ap.add_argument("--vocab", type=int, required=True)
ap.add_argument("--seed", type=int, default=0)
a = ap.parse_args()
D, H, F, V = a.d_model, a.heads, a.d_ff, a.vocab
dk = D // H
rng = np.random.default_rng(a.seed)
inits, nodes = [], []


def weight(name, shape, scale=None, dtype=np.float32):
    arr = rng.normal(0.0, scale if scale is not None else 1.0 / np.sqrt(shape[0]), shape).astype(dtype)
    inits.append(numpy_helper.from_array(arr, name))
    return name


def const(name, values, dtype):
    inits.append(numpy_helper.from_array(np.array(values, dtype=dtype), name))
    return name


def node(op, inputs, **attrs):
    out = f"{op.lower()}_{len(nodes)}"
    nodes.append(helper.make_node(op, inputs, [out], **attrs))
    return out


def layer_norm(x, name):
    inits.append(numpy_helper.from_array(np.ones(D, np.float32), f"{name}_g"))
    inits.append(numpy_helper.from_array(np.zeros(D, np.float32), f"{name}_b"))
    return node("LayerNormalization", [x, f"{name}_g", f"{name}_b"], axis=-1, epsilon=1e-5)


def dense(x, name, k, n):
    return node("Add", [node("MatMul", [x, weight(f"{name}_w", (k, n))]), weight(f"{name}_b", (n,), 0.01)])


heads_shape = const("heads_shape", [0, 0, H, dk], np.int64)
model_shape = const("model_shape", [0, 0, D], np.int64)
flat_shape = const("flat_shape", [-1, D], np.int64)
scale = const("scale", np.sqrt(dk), np.float32)

x = node("Add", [node("Gather", [weight("titles_emb", (V, D), 1.0), "titles"]), "feats"])
for l in range(a.layers):
    n1 = layer_norm(x, f"l{l}_attn_norm")
    q, k, v = (node("Reshape", [dense(n1, f"l{l}_{p}", D, D), heads_shape]) for p in "qkv")
    qh = node("Transpose", [q], perm=[0, 2, 1, 3])
    kt = node("Transpose", [k], perm=[0, 2, 3, 1])
    vh = node("Transpose", [v], perm=[0, 2, 1, 3])
    scores = node("Add", [node("Div", [node("MatMul", [qh, kt]), scale]), "mask"])
    ctx = node("MatMul", [node("Softmax", [scores], axis=-1), vh])
    ctx = node("Reshape", [node("Transpose", [ctx], perm=[0, 2, 1, 3]), model_shape])
    x = node("Add", [x, dense(ctx, f"l{l}_out", D, D)])
    n2 = layer_norm(x, f"l{l}_ff_norm")
    x = node("Add", [x, dense(node("Relu", [dense(n2, f"l{l}_ff_in", D, F)]), f"l{l}_ff_out", F, D)])
picked = node("Gather", [node("Reshape", [x, flat_shape]), "query"], axis=0)
logits = dense(layer_norm(picked, "final_norm"), "head", D, V)
nodes.append(helper.make_node("Identity", [logits], ["logits"]))

graph = helper.make_graph(
    nodes,
    "study_decoder",
    [
        helper.make_tensor_value_info("titles", TensorProto.INT64, ["n", "l"]),
        helper.make_tensor_value_info("feats", TensorProto.FLOAT, ["n", "l", D]),
        helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["n", 1, "l", "l"]),
        helper.make_tensor_value_info("query", TensorProto.INT64, ["q"]),
    ],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["q", V])],
    inits,
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="classlens-peer")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, a.out)
print(f"wrote {a.out}: d_model {D}, heads {H}, layers {a.layers}, d_ff {F}, vocab {V}")
