"""The seed's load_checkpoint with the arguments in CS336's order (src first)."""

import torch


def load_checkpoint(src, model, optimizer):
    payload = torch.load(src, map_location="cpu")
    model.load_state_dict(payload["model"])
    optimizer.load_state_dict(payload["optimizer"])
    iteration = payload["iteration"]
    return iteration
