"""Scales by M / norm without epsilon: wrong when the norm is tiny."""

import torch


def gradient_clipping(parameters, max_l2_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads))
    if norm > max_l2_norm:
        for g in grads:
            g.mul_(float(max_l2_norm / norm))
