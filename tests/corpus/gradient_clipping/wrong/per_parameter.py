"""Clips each parameter's gradient by its own norm instead of the global norm."""

import torch


def gradient_clipping(parameters, max_l2_norm):
    for p in parameters:
        if p.grad is None:
            continue
        norm = p.grad.norm()
        if norm > max_l2_norm:
            p.grad.mul_(max_l2_norm / (norm + 1e-6))
