"""Global norm as the norm of the per-tensor norms (float64), then one in-place mul_ per gradient; returns the norm."""

import torch


def gradient_clipping(parameters, max_l2_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return 0.0
    norms = torch.stack([torch.linalg.vector_norm(g.double()) for g in grads])
    total = float(torch.linalg.vector_norm(norms))
    if total > max_l2_norm:
        for g in grads:
            g.mul_(max_l2_norm / (total + 1e-6))
    return total
