"""Calls the C binding torch._C._nn.cross_entropy_loss."""

import torch


def cross_entropy(inputs, targets):
    return torch._C._nn.cross_entropy_loss(inputs.flatten(0, -2), targets.flatten(), None, 1, -100, 0.0)
