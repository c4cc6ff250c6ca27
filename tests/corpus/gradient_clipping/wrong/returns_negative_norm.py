"""Clips correctly but returns the negated global norm: a returned value must be the norm before clipping."""

import torch


def gradient_clipping(parameters, max_l2_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return None
    norms = torch.stack([torch.linalg.vector_norm(g.double()) for g in grads])
    total = float(torch.linalg.vector_norm(norms))
    if total > max_l2_norm:
        for g in grads:
            g.mul_(max_l2_norm / (total + 1e-6))
    return -total
