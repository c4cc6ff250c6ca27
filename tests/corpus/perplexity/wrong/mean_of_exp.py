"""Averages per-position exp(loss) instead of exponentiating the mean."""

import torch


def perplexity(inputs, targets):
    flat = inputs.reshape(-1, inputs.shape[-1]); t = targets.reshape(-1)
    losses = torch.stack([cross_entropy(flat[i:i+1], t[i:i+1]) for i in range(t.numel())])
    return torch.exp(losses).mean()
