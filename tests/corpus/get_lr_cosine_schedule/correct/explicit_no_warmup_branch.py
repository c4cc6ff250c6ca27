"""Handles warmup_iters == 0 in its own branch before the warmup formula; floats everywhere."""

import math


def get_lr_cosine_schedule(it, max_learning_rate, min_learning_rate, warmup_iters, cosine_cycle_iters):
    max_lr, min_lr = float(max_learning_rate), float(min_learning_rate)
    if warmup_iters > 0 and it < warmup_iters:
        return max_lr * it / warmup_iters
    if it > cosine_cycle_iters:
        return min_lr
    angle = math.pi * (it - warmup_iters) / (cosine_cycle_iters - warmup_iters)
    return min_lr + (max_lr - min_lr) * (1.0 + math.cos(angle)) / 2.0
