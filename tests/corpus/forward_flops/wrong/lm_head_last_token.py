"""Applies the lm_head only to the last position of each sequence (generation, not training)."""


def forward_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    B, T, d = batch_size, context_length, d_model
    per_layer = 24 * B * T * d * d + 4 * B * T * T * d
    return num_layers * per_layer + 2 * B * d * vocab_size
