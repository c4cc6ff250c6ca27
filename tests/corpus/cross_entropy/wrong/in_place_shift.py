"""Subtracts the max in place, changing the caller's logits."""

import torch


def cross_entropy(inputs, targets):
    inputs -= inputs.max(dim=-1, keepdim=True).values.detach()
    lse = torch.log(torch.exp(inputs).sum(-1))
    return (lse - inputs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)).mean()
