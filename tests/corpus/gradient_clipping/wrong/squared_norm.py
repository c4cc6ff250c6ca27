"""Forgets the square root: compares and divides by the squared norm."""

import torch


def gradient_clipping(parameters, max_l2_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    norm_sq = sum((g.double() ** 2).sum() for g in grads)
    if norm_sq > max_l2_norm:
        for g in grads:
            g.mul_(float(max_l2_norm / (norm_sq + 1e-6)))
