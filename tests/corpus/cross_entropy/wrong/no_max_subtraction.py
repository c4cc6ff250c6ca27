"""Forgets to subtract the max: exp overflows for large logits."""

import torch


def cross_entropy(inputs, targets):
    lse = torch.log(torch.exp(inputs).sum(-1))
    return (lse - inputs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)).mean()
