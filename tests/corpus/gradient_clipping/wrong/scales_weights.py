"""Scales the parameter values (p.data) instead of their gradients."""

import torch


def gradient_clipping(parameters, max_l2_norm):
    parameters = [p for p in parameters if p.grad is not None]
    if not parameters:
        return
    norm = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in parameters))
    if norm > max_l2_norm:
        for p in parameters:
            p.data.mul_(float(max_l2_norm / (norm + 1e-6)))
