"""Gives parameters without a gradient a zero gradient, so frozen parameters no longer have grad None."""

import torch


def gradient_clipping(parameters, max_l2_norm):
    parameters = list(parameters)
    for p in parameters:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
    if not parameters:
        return
    norm = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in parameters))
    if norm > max_l2_norm:
        for p in parameters:
            p.grad.mul_(float(max_l2_norm / (norm + 1e-6)))
