"""Counts a multiply-add as one FLOP (mnk per product)."""


def forward_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = vocab_size, context_length, num_layers, d_model, num_heads, batch_size
    return L * (12 * B * T * d * d + 2 * B * T * T * d) + B * T * d * V
