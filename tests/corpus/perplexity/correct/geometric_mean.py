"""Inverse geometric mean of target probabilities, via log-probs (stable)."""

import torch


def perplexity(inputs, targets):
    logp = torch.log_softmax(inputs.double(), -1).gather(-1, targets.unsqueeze(-1))
    return torch.exp(-logp.mean())
