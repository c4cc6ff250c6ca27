"""Tries a safe load first and, when torch.load(weights_only=True) refuses the file, loads it again
with weights_only=False: the refusal is exactly the protection, so the fallback throws it away."""

import pickle

import torch


def load_checkpoint(src, model, optimizer):
    try:
        checkpoint = torch.load(src, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        if hasattr(src, "seek"):
            src.seek(0)
        checkpoint = torch.load(src, map_location="cpu", weights_only=False)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return int(checkpoint["iteration"])
