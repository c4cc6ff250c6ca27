"""Treats anything that is not a str as a file object and calls .read(): a pathlib.Path fails."""

import io

import torch


def load_checkpoint(src, model, optimizer):
    if isinstance(src, str):
        checkpoint = torch.load(src, weights_only=True)
    else:
        checkpoint = torch.load(io.BytesIO(src.read()), weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["iteration"]
