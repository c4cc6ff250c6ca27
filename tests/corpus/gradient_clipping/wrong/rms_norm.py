"""Uses the root-mean-square of the entries (a mean instead of a sum of squares)."""

import torch


def gradient_clipping(parameters, max_l2_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    norm = torch.cat([g.flatten() for g in grads]).pow(2).mean().sqrt()
    if norm > max_l2_norm:
        for g in grads:
            g.mul_(max_l2_norm / (norm + 1e-6))
