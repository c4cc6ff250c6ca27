"""Warmup branch it <= warmup_iters with a max(warmup_iters, 1) guard: without warmup step 0 gets 0, not the maximum."""

import math


def get_lr_cosine_schedule(it, max_learning_rate, min_learning_rate, warmup_iters, cosine_cycle_iters):
    if it <= warmup_iters:
        return it / max(warmup_iters, 1) * max_learning_rate
    if it > cosine_cycle_iters:
        return min_learning_rate
    progress = (it - warmup_iters) / (cosine_cycle_iters - warmup_iters)
    return min_learning_rate + 0.5 * (1 + math.cos(math.pi * progress)) * (max_learning_rate - min_learning_rate)
