"""Seed 002's clip_gradients: walks `parameters` twice, so a generator is exhausted before scaling."""

import math

import torch


@torch.no_grad()
def gradient_clipping(parameters, max_l2_norm):
    eps = 1e-6
    total_norm_sq = 0.0
    for p in parameters:
        if p.grad is not None:
            total_norm_sq += float(torch.sum(p.grad.data.to(torch.float32) ** 2))
    total_norm = math.sqrt(total_norm_sq)
    if total_norm > max_l2_norm:
        scale = max_l2_norm / (total_norm + eps)
        for p in parameters:
            if p.grad is not None:
                p.grad.data.mul_(scale)
    return total_norm
