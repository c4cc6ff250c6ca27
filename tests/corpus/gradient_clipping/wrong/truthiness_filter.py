"""Filters with  (truth value of a tensor): raises for any gradient with more than one entry."""
import math
from collections.abc import Iterable

import torch


def gradient_clipping(parameters: Iterable[torch.nn.Parameter], max_l2_norm: float) -> None:
    grads = [p.grad for p in parameters if p.grad]
    if not grads:
        return
    norm = math.sqrt(sum(float((g * g).sum()) for g in grads))
    if norm > max_l2_norm:
        for g in grads:
            g.mul_(max_l2_norm / (norm + 1e-6))
