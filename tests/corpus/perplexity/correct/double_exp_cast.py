"""Exponentiates the loss in float64 and casts back to the loss's dtype."""
import torch


def perplexity(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    loss = cross_entropy(inputs, targets)
    return torch.exp(loss.double()).to(loss.dtype)
