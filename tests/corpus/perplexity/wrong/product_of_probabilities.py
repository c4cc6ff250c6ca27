"""Inverse geometric mean of the target probabilities as a product: it underflows to 0 on long sequences."""
import torch


def perplexity(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    probabilities = torch.softmax(inputs.double(), dim=-1).gather(-1, targets.long().unsqueeze(-1))
    return (probabilities.prod() ** (-1.0 / targets.numel())).to(inputs.dtype)
