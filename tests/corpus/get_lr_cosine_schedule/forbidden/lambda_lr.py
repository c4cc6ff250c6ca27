"""Builds a throw-away optimizer and reads the lr that torch.optim.lr_scheduler.LambdaLR sets."""

import math

import torch
from torch.optim.lr_scheduler import LambdaLR as Scheduler


def get_lr_cosine_schedule(it, max_learning_rate, min_learning_rate, warmup_iters, cosine_cycle_iters):
    def factor(_):
        if it < warmup_iters:
            return it / warmup_iters
        if it <= cosine_cycle_iters:
            progress = (it - warmup_iters) / (cosine_cycle_iters - warmup_iters)
            lr = min_learning_rate + 0.5 * (1 + math.cos(math.pi * progress)) * (max_learning_rate - min_learning_rate)
            return lr / max_learning_rate
        return min_learning_rate / max_learning_rate

    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=max_learning_rate)
    Scheduler(optimizer, factor)
    return optimizer.param_groups[0]["lr"]
