"""Restores the model's weights but never the optimizer's state."""

import torch


def load_checkpoint(src, model, optimizer):
    checkpoint = torch.load(src, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    return checkpoint["iteration"]
