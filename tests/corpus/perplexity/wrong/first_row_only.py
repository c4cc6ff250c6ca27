"""Computes the perplexity of the first sequence only."""

import torch


def perplexity(inputs, targets):
    return torch.exp(cross_entropy(inputs.reshape(-1, inputs.shape[-1])[:1], targets.reshape(-1)[:1]))
