"""Shifts logits and targets by one position itself, dropping the last position of every sequence."""
import torch


def cross_entropy(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    if inputs.dim() > 2:
        inputs, targets = inputs[..., :-1, :], targets[..., :-1]
    c = inputs.max(dim=-1, keepdim=True).values
    lse = c.squeeze(-1) + torch.log(torch.exp(inputs - c).sum(dim=-1))
    return (lse - inputs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)).mean()
