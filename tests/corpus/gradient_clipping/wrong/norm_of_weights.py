"""Measures the norm of the parameter values (p) instead of their gradients, then scales the gradients."""
import math
from collections.abc import Iterable

import torch


def gradient_clipping(parameters: Iterable[torch.nn.Parameter], max_l2_norm: float) -> None:
    params = [p for p in parameters if p.grad is not None]
    if not params:
        return
    norm = math.sqrt(sum(float(p.detach().pow(2).sum()) for p in params))
    if norm > max_l2_norm:
        for p in params:
            p.grad.mul_(max_l2_norm / (norm + 1e-6))
