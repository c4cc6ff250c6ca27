"""Sums math.prod over the list of weight shapes, and over a list of activation shapes."""

import math


def adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    d, T, B = d_model, context_length, batch_size
    layer_weights = [(d,), (d, d), (d, d), (d, d), (d, d), (d,), (4 * d, d), (d, 4 * d)]
    weights = [(vocab_size, d)] + layer_weights * num_layers + [(d,), (vocab_size, d)]
    layer_activations = [(B, T, d)] * 2 + [(B, T, d)] * 3 + [(B, num_heads, T, T)] * 2 \
        + [(B, T, d)] * 2 + [(B, T, 4 * d)] * 2 + [(B, T, d)]
    activations = layer_activations * num_layers + [(B, T, d), (B, T, vocab_size), (B, T, vocab_size)]
    P = sum(math.prod(s) for s in weights)
    A = sum(math.prod(s) for s in activations)
    parts = {"parameters": P, "gradients": P, "optimizer_state": 2 * P, "activations": A}
    result = {key: 4 * n for key, n in parts.items()}
    result["total"] = sum(result.values())
    return result
