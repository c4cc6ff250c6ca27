"""Branch-light numpy version: clips decay progress to [0, 1] and returns a numpy float64."""

import numpy as np


def get_lr_cosine_schedule(it, max_learning_rate, min_learning_rate, warmup_iters, cosine_cycle_iters):
    if it < warmup_iters:
        return np.float64(it) / warmup_iters * max_learning_rate
    progress = np.clip((it - warmup_iters) / (cosine_cycle_iters - warmup_iters), 0.0, 1.0)
    return min_learning_rate + (max_learning_rate - min_learning_rate) * (np.cos(np.pi * progress) + 1) / 2
