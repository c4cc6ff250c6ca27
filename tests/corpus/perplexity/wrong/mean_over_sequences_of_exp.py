"""Exponentiates each sequence's mean loss, then averages the perplexities over the batch."""
import torch


def perplexity(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    if inputs.dim() == 2:
        return torch.exp(cross_entropy(inputs, targets))
    per_sequence = [torch.exp(cross_entropy(x, t)) for x, t in zip(inputs.reshape(-1, *inputs.shape[-2:]), targets.reshape(-1, targets.shape[-1]))]
    return torch.stack(per_sequence).mean()
