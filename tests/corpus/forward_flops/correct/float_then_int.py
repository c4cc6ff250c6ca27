"""Computes in floats with the per-head width d/h, then rounds to int."""


def forward_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = vocab_size, context_length, num_layers, d_model, num_heads, batch_size
    head = d / h
    attention = 2 * 2 * B * h * T * T * head
    return int(round(L * (2.0 * B * T * 12 * d * d + attention) + 2.0 * B * T * d * V))
