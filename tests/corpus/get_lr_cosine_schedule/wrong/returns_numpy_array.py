"""Returns a one-element numpy array (np.clip on a list) instead of a Python float."""

import numpy as np


def get_lr_cosine_schedule(it, max_learning_rate, min_learning_rate, warmup_iters, cosine_cycle_iters):
    if it < warmup_iters:
        return np.array([it / warmup_iters * max_learning_rate])
    progress = np.clip([(it - warmup_iters) / (cosine_cycle_iters - warmup_iters)], 0.0, 1.0)
    return min_learning_rate + 0.5 * (1 + np.cos(np.pi * progress)) * (max_learning_rate - min_learning_rate)
