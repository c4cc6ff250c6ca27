"""np.cos and np.pi in an if / elif / else chain, converted with float() at the end."""
import numpy as np


def get_lr_cosine_schedule(
    it: int,
    max_learning_rate: float,
    min_learning_rate: float,
    warmup_iters: int,
    cosine_cycle_iters: int,
) -> float:
    if it < warmup_iters:
        lr = max_learning_rate * it / warmup_iters
    elif it <= cosine_cycle_iters:
        decay_ratio = (it - warmup_iters) / (cosine_cycle_iters - warmup_iters)
        coeff = 0.5 * (1.0 + np.cos(np.pi * decay_ratio))
        lr = min_learning_rate + coeff * (max_learning_rate - min_learning_rate)
    else:
        lr = min_learning_rate
    return float(lr)
