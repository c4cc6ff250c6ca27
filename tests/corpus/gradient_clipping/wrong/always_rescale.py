"""Always rescales to norm M, also stretching gradients whose norm is below M."""

import torch


def gradient_clipping(parameters, max_l2_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads))
    for g in grads:
        g.mul_(float(max_l2_norm / (norm + 1e-6)))
