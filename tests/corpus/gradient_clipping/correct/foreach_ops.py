"""Uses the multi-tensor torch._foreach_norm / torch._foreach_mul_ kernels on the gradient list."""

import torch


def gradient_clipping(parameters, max_l2_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return None
    total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads, 2)), 2)
    if total.item() > max_l2_norm:
        torch._foreach_mul_(grads, (max_l2_norm / (total + 1e-6)).item())
    return total
