"""Computes with 0-d float64 torch tensors and returns .item() of the result (a Python float)."""

import torch


def get_lr_cosine_schedule(it, max_learning_rate, min_learning_rate, warmup_iters, cosine_cycle_iters):
    t = torch.tensor(float(it), dtype=torch.float64)
    if it < warmup_iters:
        return (t / warmup_iters * max_learning_rate).item()
    progress = torch.clamp((t - warmup_iters) / (cosine_cycle_iters - warmup_iters), 0.0, 1.0)
    return (min_learning_rate + 0.5 * (1 + torch.cos(progress * torch.pi)) * (max_learning_rate - min_learning_rate)).item()
