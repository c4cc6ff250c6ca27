"""Subtracts one max over the whole batch instead of one per position."""

import torch


def cross_entropy(inputs, targets):
    shifted = inputs - inputs.max()
    lse = torch.log(torch.exp(shifted).sum(-1))
    return (lse - shifted.gather(-1, targets.unsqueeze(-1)).squeeze(-1)).mean()
