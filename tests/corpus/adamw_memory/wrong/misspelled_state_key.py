"""Returns the optimizer state under the key "optimizer" instead of "optimizer_state"."""


def adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = vocab_size, context_length, num_layers, d_model, num_heads, batch_size
    P = 2 * V * d + L * (12 * d * d + 2 * d) + d
    A = L * (16 * B * T * d + 2 * B * h * T * T) + B * T * d + 2 * B * T * V
    return {"parameters": 4 * P, "gradients": 4 * P, "optimizer": 8 * P, "activations": 4 * A, "total": 16 * P + 4 * A}
