"""Counts the embedding and the output matrix once, as if tied."""


def adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = vocab_size, context_length, num_layers, d_model, num_heads, batch_size
    d_ff = 4 * d
    P = V * d + L * (4 * d * d + 2 * d * d_ff + 2 * d) + d
    per_layer = B * T * (2 * d + 3 * d + d + d + 2 * d_ff + d) + 2 * B * h * T * T
    A = L * per_layer + B * T * d + 2 * B * T * V
    memory = {"parameters": 4 * P, "gradients": 4 * P, "optimizer_state": 8 * P, "activations": 4 * A}
    memory["total"] = sum(memory.values())
    return memory
