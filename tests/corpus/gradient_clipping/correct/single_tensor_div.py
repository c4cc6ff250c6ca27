"""Accepts a single tensor too (like PyTorch) and divides in place by (norm + eps) / M instead of multiplying."""
import math
from collections.abc import Iterable

import torch


def gradient_clipping(parameters: Iterable[torch.nn.Parameter], max_l2_norm: float) -> None:
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    squared = sum((g.detach().float() ** 2).sum() for g in grads)
    norm = math.sqrt(float(squared)) if grads else 0.0
    if norm <= max_l2_norm:
        return
    divisor = (norm + 1e-6) / max_l2_norm
    for g in grads:
        g.detach().div_(divisor)
