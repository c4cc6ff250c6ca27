"""c from a table of per-element ops (m: 3, v: 4, update: 3, decay: 2 -> 12), P from the weight shapes; numpy int."""
import numpy as np


def adamw_step_flops(vocab_size, context_length, num_layers, d_model, num_heads, batch_size):
    # m = b1 m + (1-b1) g: 2 mul + 1 add; v = b2 v + (1-b2) g^2: 3 mul + 1 add;
    # theta -= alpha_t m / (sqrt(v) + eps): sqrt, add, div, mul, sub = 5; decay theta -= lr*wd*theta: 2.
    ops = {"m": 3, "v": 4, "update": 5, "decay": 2}
    c = sum(ops.values())  # 14
    d = d_model
    P = 2 * vocab_size * d + num_layers * (12 * d * d + 2 * d) + d
    return np.int64(c) * np.int64(P)
