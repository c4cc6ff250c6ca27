"""Computes in floats (bytes per float as 4.0) and converts every part with int() at the end."""


def adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = vocab_size, context_length, num_layers, d_model, num_heads, batch_size
    per_layer_weights = 4.0 * d * d + 2.0 * d * (4 * d) + 2.0 * d
    P = 2.0 * V * d + L * per_layer_weights + d
    per_layer_activations = B * T * (8.0 * d + 2 * 4 * d) + 2.0 * B * h * T * T
    A = L * per_layer_activations + B * T * d + 2.0 * B * T * V
    parts = {"parameters": int(4.0 * P), "gradients": int(4.0 * P), "optimizer_state": int(8.0 * P),
             "activations": int(4.0 * A)}
    parts["total"] = sum(parts.values())
    return parts
