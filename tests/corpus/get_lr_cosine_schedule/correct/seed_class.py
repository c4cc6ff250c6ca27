"""Wraps the course notes' CosineSchedule class (scheduler object, called with the step)."""

import math


class CosineSchedule:
    def __init__(self, max_learning_rate, min_learning_rate, warmup_iters, cosine_cycle_iters):
        self.max_learning_rate = max_learning_rate
        self.min_learning_rate = min_learning_rate
        self.warmup_iters = warmup_iters
        self.cosine_cycle_iters = cosine_cycle_iters

    def __call__(self, current_iter):
        if current_iter < self.warmup_iters:
            return self.max_learning_rate * current_iter / self.warmup_iters
        elif current_iter > self.cosine_cycle_iters:
            return self.min_learning_rate
        else:
            progress = (current_iter - self.warmup_iters) / (self.cosine_cycle_iters - self.warmup_iters)
            cosine_decay = (1 + math.cos(math.pi * progress)) / 2
            return self.min_learning_rate + (self.max_learning_rate - self.min_learning_rate) * cosine_decay


def get_lr_cosine_schedule(it, max_learning_rate, min_learning_rate, warmup_iters, cosine_cycle_iters):
    return CosineSchedule(max_learning_rate, min_learning_rate, warmup_iters, cosine_cycle_iters)(it)
