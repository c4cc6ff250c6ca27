"""Compares the squared norm with M**2 (strict >, the same decision as norm > M) and scales each gradient with copy_."""

import math

import torch


@torch.no_grad()
def gradient_clipping(parameters, max_l2_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    squared = sum(float((g.double() * g.double()).sum()) for g in grads)
    if squared > max_l2_norm * max_l2_norm:
        factor = max_l2_norm / (math.sqrt(squared) + 1e-6)
        for g in grads:
            g.copy_(g * factor)
