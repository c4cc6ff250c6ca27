"""Calls F.cross_entropy directly."""

import torch
import torch.nn.functional as F


def cross_entropy(inputs, targets):
    return F.cross_entropy(inputs.reshape(-1, inputs.shape[-1]), targets.reshape(-1))
