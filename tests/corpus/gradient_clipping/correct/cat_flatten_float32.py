"""Seed 000's torch.cat of the flattened gradients in float32, with a guard for the no-gradient case."""

import torch


def gradient_clipping(parameters, max_l2_norm, eps=1e-6):
    valid_gradients = [p.grad for p in parameters if p.grad is not None]
    if not valid_gradients:
        return
    total_norm = torch.norm(torch.cat([grad.flatten() for grad in valid_gradients]), 2)
    if total_norm > max_l2_norm:
        clip_coeff = max_l2_norm / (total_norm + eps)
        for grad in valid_gradients:
            grad.mul_(clip_coeff)
