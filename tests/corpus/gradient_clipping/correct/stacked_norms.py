"""torch.norm of the stacked per-tensor norms (the norm of norms is the global norm), then p.grad.mul_."""
import math
from collections.abc import Iterable

import torch


def gradient_clipping(parameters: Iterable[torch.nn.Parameter], max_l2_norm: float) -> None:
    grads = [p.grad for p in parameters if p.grad is not None]
    if len(grads) == 0:
        return
    total_norm = torch.norm(torch.stack([torch.norm(g, 2) for g in grads]), 2)
    if total_norm > max_l2_norm:
        scale = max_l2_norm / (total_norm + 1e-6)
        for g in grads:
            g.mul_(scale)
