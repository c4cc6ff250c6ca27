"""Operator precedence: max_l2_norm / norm + 1e-6 adds epsilon to the factor, not to the norm."""
import math
from collections.abc import Iterable

import torch


def gradient_clipping(parameters: Iterable[torch.nn.Parameter], max_l2_norm: float) -> None:
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    norm = torch.sqrt(sum(g.pow(2).sum() for g in grads)).item()
    if norm > max_l2_norm:
        for g in grads:
            g.mul_(max_l2_norm / norm + 1e-6)
