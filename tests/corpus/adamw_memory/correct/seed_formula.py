"""The seed's closed forms: P = 2Vd + L(12d^2 + 2d) + d and A = L(16BTd + 2BhT^2) + BTd + 2BTV."""


def adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = vocab_size, context_length, num_layers, d_model, num_heads, batch_size
    P = 2 * V * d + L * (12 * d ** 2 + 2 * d) + d
    A = L * (16 * B * T * d + 2 * B * h * T ** 2) + B * T * d + 2 * B * T * V
    return {"parameters": 4 * P, "gradients": 4 * P, "optimizer_state": 8 * P,
            "activations": 4 * A, "total": 16 * P + 4 * A}
