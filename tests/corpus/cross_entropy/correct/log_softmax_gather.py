"""Uses torch.log_softmax (a different built-in from cross_entropy) and gather."""

import torch


def cross_entropy(inputs, targets):
    log_probs = torch.log_softmax(inputs, dim=-1)
    return -log_probs.gather(-1, targets.unsqueeze(-1)).mean()
