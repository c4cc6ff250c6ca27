"""Tries the argument as a path first and falls back to reading it as a file object."""

import os

import torch


def load_checkpoint(src, model, optimizer):
    try:
        path = os.fspath(src)
    except TypeError:  # not a path: a file object
        checkpoint = torch.load(src, weights_only=True)
    else:
        with open(path, "rb") as handle:
            checkpoint = torch.load(handle, weights_only=True)
    optimizer.load_state_dict(checkpoint["optimizer"])  # order does not matter: both copy values
    model.load_state_dict(checkpoint["model"], strict=True)
    return int(checkpoint["iteration"])
