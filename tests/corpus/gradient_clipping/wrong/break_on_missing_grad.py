"""Stops collecting gradients at the first parameter without one (break instead of continue)."""
import math
from collections.abc import Iterable

import torch


def gradient_clipping(parameters: Iterable[torch.nn.Parameter], max_l2_norm: float) -> None:
    grads = []
    for p in parameters:
        if p.grad is None:
            break
        grads.append(p.grad)
    if not grads:
        return
    norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
    if norm > max_l2_norm:
        for g in grads:
            g.mul_(max_l2_norm / (norm + 1e-6))
