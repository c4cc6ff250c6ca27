"""Restores the state, then resets every group's lr to optimizer.defaults["lr"] (the value it was built with)."""

import torch


def load_checkpoint(src, model, optimizer):
    checkpoint = torch.load(src, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    for group in optimizer.param_groups:
        group["lr"] = optimizer.defaults["lr"]
    return int(checkpoint["iteration"])
