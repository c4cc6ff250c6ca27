"""Clips correctly but returns the global norm after clipping (about M) instead of the norm before it,
which clip_grad_norm_ returns and a training loop logs."""

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
    return float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.double()) for g in grads])))
