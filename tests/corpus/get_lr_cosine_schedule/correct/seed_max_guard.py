"""The course notes' second version: divides by max(1, ...) and checks phases top-down."""

import math


def get_lr_cosine_schedule(it, max_learning_rate, min_learning_rate, warmup_iters, cosine_cycle_iters):
    if it < warmup_iters:
        return max_learning_rate * (it / max(1, warmup_iters))
    if it <= cosine_cycle_iters:
        progress = (it - warmup_iters) / max(1, (cosine_cycle_iters - warmup_iters))
        cosine_term = 0.5 * (1.0 + math.cos(math.pi * progress))
        return min_learning_rate + (max_learning_rate - min_learning_rate) * cosine_term
    return min_learning_rate
