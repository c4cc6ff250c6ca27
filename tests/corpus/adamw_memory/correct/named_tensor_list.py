"""Lists every parameter and activation tensor by name with its shape, then multiplies shapes out."""
import math


def adamw_memory(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    V, T, L, d, h, B = vocab_size, context_length, num_layers, d_model, num_heads, batch_size
    weights = {"embedding": (V, d), "final_norm": (d,), "lm_head": (d, V)}
    layer = {"norm1": (d,), "q": (d, d), "k": (d, d), "v": (d, d), "o": (d, d), "norm2": (d,), "w1": (d, 4 * d), "w2": (4 * d, d)}
    n_params = sum(math.prod(s) for s in weights.values()) + L * sum(math.prod(s) for s in layer.values())
    layer_acts = [(B, T, d), (B, T, d), (B, T, d), (B, T, d), (B, T, d), (B, h, T, T), (B, h, T, T), (B, T, d), (B, T, d),
                  (B, T, 4 * d), (B, T, 4 * d), (B, T, d)]
    tail = [(B, T, d), (B, T, V), (B, T, V)]
    n_acts = L * sum(math.prod(s) for s in layer_acts) + sum(math.prod(s) for s in tail)
    p = 4 * n_params
    result = {"parameters": p, "gradients": p, "optimizer_state": 2 * p, "activations": 4 * n_acts}
    result["total"] = p + p + 2 * p + 4 * n_acts
    return result
