"""Always calls open(src, "rb"), so an io.BytesIO or an already open file fails."""

import torch


def load_checkpoint(src, model, optimizer):
    with open(src, "rb") as handle:
        checkpoint = torch.load(handle, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["iteration"]
