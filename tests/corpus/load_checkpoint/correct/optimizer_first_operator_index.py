"""Restores the optimizer before the model, and converts the iteration with operator.index."""

import operator

import torch


def load_checkpoint(src, model, optimizer):
    checkpoint = torch.load(src, map_location=torch.device("cpu"), weights_only=True)
    optimizer.load_state_dict(checkpoint["optimizer"])
    model.load_state_dict(checkpoint["model"], strict=True)
    return operator.index(checkpoint["iteration"])
