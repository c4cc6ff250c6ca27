"""Counts only the weight matrices, not QK^T and AV."""


def forward_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = vocab_size, context_length, num_layers, d_model, num_heads, batch_size
    return L * 24 * B * T * d * d + 2 * B * T * d * V
