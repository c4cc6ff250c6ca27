"""Uses load_state_dict(assign=True): new parameter tensors replace the ones the optimizer updates."""

import torch


def load_checkpoint(src, model, optimizer):
    checkpoint = torch.load(src, weights_only=True)
    model.load_state_dict(checkpoint["model"], assign=True)
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["iteration"]
