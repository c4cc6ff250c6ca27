"""torch.linalg.vector_norm accumulated in float64, under torch.no_grad, returns the norm as a Python float."""
import math
from collections.abc import Iterable

import torch


@torch.no_grad()
def gradient_clipping(parameters: Iterable[torch.nn.Parameter], max_l2_norm: float) -> float:
    params = [p for p in parameters if p.grad is not None]
    if not params:
        return 0.0
    per_tensor = torch.stack([torch.linalg.vector_norm(p.grad, dtype=torch.float64) for p in params])
    total = float(torch.linalg.vector_norm(per_tensor))
    if total > max_l2_norm:
        factor = max_l2_norm / (total + 1e-6)
        for p in params:
            p.grad.mul_(factor)
    return total
