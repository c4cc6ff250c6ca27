"""Writes the cosine factor with the half-angle identity 0.5 * (1 + cos x) = cos(x / 2) ** 2."""
import math


def get_lr_cosine_schedule(
    it: int,
    max_learning_rate: float,
    min_learning_rate: float,
    warmup_iters: int,
    cosine_cycle_iters: int,
) -> float:
    if warmup_iters > 0 and it < warmup_iters:
        return it * max_learning_rate / warmup_iters
    if it >= cosine_cycle_iters:
        return min_learning_rate
    half_angle = 0.5 * math.pi * (it - warmup_iters) / (cosine_cycle_iters - warmup_iters)
    return min_learning_rate + (max_learning_rate - min_learning_rate) * math.cos(half_angle) ** 2
