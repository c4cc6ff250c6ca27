"""Clamps the step to T_c with min() so the post-annealing phase falls out of the cosine formula (cos(pi) = -1)."""
import math


def get_lr_cosine_schedule(
    it: int,
    max_learning_rate: float,
    min_learning_rate: float,
    warmup_iters: int,
    cosine_cycle_iters: int,
) -> float:
    if it < warmup_iters:
        return max_learning_rate * (it / warmup_iters)
    t = min(it, cosine_cycle_iters)
    progress = max(0.0, (t - warmup_iters) / (cosine_cycle_iters - warmup_iters))
    return min_learning_rate + (max_learning_rate - min_learning_rate) * (1 + math.cos(math.pi * progress)) / 2
