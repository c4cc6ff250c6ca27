"""Computes with numpy int64 scalars (numbers.Integral), per-token and per-head terms apart."""

import numpy as np


def adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = (np.int64(x) for x in (vocab_size, context_length, num_layers, d_model, num_heads, batch_size))
    per_token_layer = 16 * d
    per_head_layer = 2 * T  # scores and softmax: T numbers per query, per head
    A = B * T * (L * per_token_layer + d + 2 * V) + L * B * h * T * per_head_layer
    P = 2 * V * d + L * (12 * d * d + 2 * d) + d
    out = {"parameters": 4 * P, "gradients": 4 * P, "optimizer_state": 8 * P, "activations": 4 * A}
    out["total"] = out["parameters"] + out["gradients"] + out["optimizer_state"] + out["activations"]
    return out
