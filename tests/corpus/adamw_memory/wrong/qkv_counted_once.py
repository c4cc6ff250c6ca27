"""Counts Q, K and V as one d-wide activation instead of three."""


def adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = vocab_size, context_length, num_layers, d_model, num_heads, batch_size
    P = 2 * V * d + L * (12 * d * d + 2 * d) + d
    per_layer = B * T * (2 * d + d + d + d + 4 * d + 4 * d + d) + 2 * B * h * T * T
    A = L * per_layer + B * T * d + 2 * B * T * V
    out = {"parameters": 4 * P, "gradients": 4 * P, "optimizer_state": 8 * P, "activations": 4 * A}
    out["total"] = sum(out.values())
    return out
