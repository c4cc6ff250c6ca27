"""Loads into copy.deepcopy(model) and a copy of the optimizer: the caller's objects are untouched."""

import copy

import torch


def load_checkpoint(src, model, optimizer):
    checkpoint = torch.load(src, weights_only=True)
    restored = copy.deepcopy(model)
    restored.load_state_dict(checkpoint["model"])
    restored_optimizer = copy.deepcopy(optimizer)
    restored_optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["iteration"]
