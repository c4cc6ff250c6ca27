"""Returns exp(-loss), the geometric-mean probability, not perplexity."""

import torch


def perplexity(inputs, targets):
    return torch.exp(-cross_entropy(inputs, targets))
