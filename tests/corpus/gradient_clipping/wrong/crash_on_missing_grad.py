"""Assumes every parameter has a gradient: crashes on a frozen parameter whose grad is None."""

import torch


def gradient_clipping(parameters, max_l2_norm):
    parameters = list(parameters)
    norm = torch.sqrt(sum((p.grad ** 2).sum() for p in parameters))
    if norm > max_l2_norm:
        for p in parameters:
            p.grad.mul_(max_l2_norm / (norm + 1e-6))
