"""Flattens with view: a transposed (non-contiguous) batch raises."""
import torch


def perplexity(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return torch.exp(cross_entropy(inputs.view(-1, inputs.shape[-1]), targets.view(-1)))
