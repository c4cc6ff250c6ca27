"""Checks the post-annealing phase first and writes the decay as max - (max - min) * (1 - cos) / 2."""

import math


def get_lr_cosine_schedule(it, max_learning_rate, min_learning_rate, warmup_iters, cosine_cycle_iters):
    if it > cosine_cycle_iters:
        return float(min_learning_rate)
    if it >= warmup_iters:
        angle = math.pi * (it - warmup_iters) / (cosine_cycle_iters - warmup_iters)
        return max_learning_rate - (max_learning_rate - min_learning_rate) * (1 - math.cos(angle)) / 2
    return float(max_learning_rate * it) / warmup_iters
