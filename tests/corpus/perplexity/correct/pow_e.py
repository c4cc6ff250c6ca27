"""math.e raised to the mean loss with the ** operator (a 0-dim tensor comes back)."""
import math

import torch


def perplexity(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return math.e ** cross_entropy(inputs, targets)
