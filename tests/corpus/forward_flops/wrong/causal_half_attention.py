"""Counts only the causal lower triangle for QK^T and AV (T (T + 1) / 2 instead of T^2)."""


def forward_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    B, T, d = batch_size, context_length, d_model
    per_layer = 2 * B * T * d * d * 4 + 2 * 2 * B * (T * (T + 1) // 2) * d + 2 * B * T * d * 4 * d * 2
    return num_layers * per_layer + 2 * B * T * d * vocab_size
