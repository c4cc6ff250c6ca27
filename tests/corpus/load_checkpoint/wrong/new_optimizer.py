"""Builds a new optimizer inside and loads the state into it; the caller's optimizer is untouched."""

import torch


def load_checkpoint(src, model, optimizer):
    checkpoint = torch.load(src, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    # "a clean optimizer over the restored parameters"
    optimizer = type(optimizer)(model.parameters(), lr=optimizer.defaults["lr"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["iteration"]
