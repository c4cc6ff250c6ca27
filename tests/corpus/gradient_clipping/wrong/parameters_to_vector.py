"""Measures the norm with torch.nn.utils.parameters_to_vector, which calls .view(-1): RuntimeError on a non-contiguous gradient."""
import math
from collections.abc import Iterable

import torch
from torch.nn.utils import parameters_to_vector


def gradient_clipping(parameters: Iterable[torch.nn.Parameter], max_l2_norm: float) -> None:
    with_grad = [p for p in parameters if p.grad is not None]
    if not with_grad:
        return
    norm = parameters_to_vector([p.grad for p in with_grad]).norm().item()
    if norm > max_l2_norm:
        coef = max_l2_norm / (norm + 1e-6)
        for p in with_grad:
            p.grad *= coef  # in-place __imul__: same tensor, same storage
