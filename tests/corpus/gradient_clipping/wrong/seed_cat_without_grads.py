"""Seed 000's GradientClip as a function: torch.cat of an empty list crashes when no parameter has a gradient."""

import torch


def gradient_clipping(parameters, max_l2_norm):
    valid_gradients = [p.grad for p in parameters if p.grad is not None]
    flattened_grads = torch.cat([grad.flatten() for grad in valid_gradients])
    total_norm = torch.norm(flattened_grads, 2)
    if total_norm > max_l2_norm:
        clip_coeff = max_l2_norm / (total_norm + 1e-6)
        for grad in valid_gradients:
            grad.mul_(clip_coeff)
