"""Swaps min and max in the cosine phase: the lr rises from min to max after warmup."""

import math


def get_lr_cosine_schedule(it, max_learning_rate, min_learning_rate, warmup_iters, cosine_cycle_iters):
    if it < warmup_iters:
        return it / warmup_iters * max_learning_rate
    if it <= cosine_cycle_iters:
        progress = (it - warmup_iters) / (cosine_cycle_iters - warmup_iters)
        return max_learning_rate + 0.5 * (1 + math.cos(math.pi * progress)) * (min_learning_rate - max_learning_rate)
    return min_learning_rate
