"""Upcasts to float64 and detaches the max (the gradient is unchanged)."""

import torch


def cross_entropy(inputs, targets):
    x = inputs.double()
    m = x.max(dim=-1, keepdim=True).values.detach()
    lse = m.squeeze(-1) + torch.log(torch.exp(x - m).sum(-1))
    picked = torch.gather(x, -1, targets[..., None])[..., 0]
    return (lse - picked).mean().to(inputs.dtype)
