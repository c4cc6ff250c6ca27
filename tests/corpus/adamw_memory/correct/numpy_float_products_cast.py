"""Sums the activation counts as numpy float64 products, then casts every entry to a Python int."""
import numpy as np


def adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = (np.float64(x) for x in (vocab_size, context_length, num_layers, d_model, num_heads, batch_size))
    per_layer_params = 4 * d * d + 2 * (4 * d * d) + 2 * d
    params = 2 * V * d + L * per_layer_params + d
    per_layer_acts = B * T * (2 * d + 3 * d + d + d + 4 * d + 4 * d + d) + 2 * B * h * T * T
    acts = L * per_layer_acts + B * T * d + 2 * B * T * V
    out = {
        "parameters": int(4 * params),
        "gradients": int(4 * params),
        "optimizer_state": int(8 * params),
        "activations": int(4 * acts),
    }
    out["total"] = sum(out.values())
    return out
