"""Returns a Python float via .item(): no gradient reaches the model."""

import torch


def cross_entropy(inputs, targets):
    shifted = inputs - inputs.max(dim=-1, keepdim=True).values
    lse = torch.log(torch.exp(shifted).sum(-1))
    return (lse - shifted.gather(-1, targets.unsqueeze(-1)).squeeze(-1)).mean().item()
