"""Reaches F.cross_entropy through an aliased re-import."""

import torch
from torch.nn.functional import cross_entropy as _ce


def cross_entropy(inputs, targets):
    return _ce(inputs.flatten(0, -2), targets.flatten())
