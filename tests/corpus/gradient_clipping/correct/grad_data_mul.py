"""Filters parameters (not gradients) into a list and scales p.grad.data in place, returning nothing."""

import torch


def gradient_clipping(parameters, max_l2_norm):
    with_grad = [p for p in parameters if p.grad is not None]
    total = torch.zeros((), dtype=torch.float64)
    for p in with_grad:
        total += torch.sum(p.grad.data.double() * p.grad.data.double())
    total = total.sqrt()
    if total > max_l2_norm:
        for p in with_grad:
            p.grad.data.mul_(max_l2_norm / (total.item() + 1e-6))
