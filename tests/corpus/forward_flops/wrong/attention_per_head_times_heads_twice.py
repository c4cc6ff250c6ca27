"""Multiplies the per-head attention cost by h although it already used the full width d."""


def forward_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    B, T, d, h = batch_size, context_length, d_model, num_heads
    per_layer = 24 * B * T * d * d + h * 4 * B * T * T * d
    return num_layers * per_layer + 2 * B * T * d * vocab_size
