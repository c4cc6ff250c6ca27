"""Gathers the target logit along dimension 0 instead of the vocabulary dimension."""

import torch


def cross_entropy(inputs, targets):
    flat = inputs.reshape(-1, inputs.shape[-1])
    t = targets.reshape(-1)
    shifted = flat - flat.max(dim=-1, keepdim=True).values
    lse = torch.log(torch.exp(shifted).sum(-1))
    picked = shifted.gather(0, (t % flat.shape[0]).unsqueeze(0)).squeeze(0)
    return (lse - picked).mean()
