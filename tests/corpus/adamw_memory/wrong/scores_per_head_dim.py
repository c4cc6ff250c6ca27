"""Counts the attention scores as B * T * T * (d / h) per head instead of one T x T matrix per head."""


def adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = vocab_size, context_length, num_layers, d_model, num_heads, batch_size
    P = 2 * V * d + L * (12 * d * d + 2 * d) + d
    per_layer = B * T * 16 * d + 2 * B * h * T * T * (d // h)
    A = L * per_layer + B * T * d + 2 * B * T * V
    out = {"parameters": 4 * P, "gradients": 4 * P, "optimizer_state": 8 * P, "activations": 4 * A}
    out["total"] = sum(out.values())
    return out
