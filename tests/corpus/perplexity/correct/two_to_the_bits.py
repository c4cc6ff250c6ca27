"""2 to the power of the mean loss in bits (log base 2), the same number written another way."""
import math

import torch


def perplexity(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    bits = cross_entropy(inputs, targets).double() / math.log(2)
    return torch.pow(2.0, bits)
