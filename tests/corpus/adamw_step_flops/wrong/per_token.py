"""Counts the update once per token of the batch: scales with batch_size and context_length."""


def adamw_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = vocab_size, context_length, num_layers, d_model, num_heads, batch_size
    P = 2 * V * d + L * (12 * d * d + 2 * d) + d
    return 14 * P * B * T
