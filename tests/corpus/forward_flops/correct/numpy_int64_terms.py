"""Vectorised with numpy int64: a table of (m, k, n) per product, 2mnk summed; returns a numpy integer."""
import numpy as np


def forward_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    N = batch_size * context_length
    d = d_model
    per_layer = np.array([
        [N, d, d], [N, d, d], [N, d, d],                           # Q, K, V
        [batch_size * num_heads * context_length, d // num_heads, context_length],  # Q K^T
        [batch_size * num_heads * context_length, context_length, d // num_heads],  # A V
        [N, d, d], [N, d, 4 * d], [N, 4 * d, d],                   # output, W1, W2
    ], dtype=np.int64)
    layer_flops = (2 * per_layer.prod(axis=1)).sum()
    return num_layers * layer_flops + np.int64(2 * N * d * vocab_size)
