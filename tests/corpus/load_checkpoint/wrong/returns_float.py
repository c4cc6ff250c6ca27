"""Returns float(...) of the saved iteration instead of an int."""

import torch


def load_checkpoint(src, model, optimizer):
    checkpoint = torch.load(src, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return float(checkpoint["iteration"])
