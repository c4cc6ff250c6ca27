"""The seed's signature load_checkpoint(model, optimizer, src): arguments in the wrong order."""

import torch


def load_checkpoint(model, optimizer, src_path):
    payload = torch.load(src_path, map_location="cpu")
    model.load_state_dict(payload["model"])
    optimizer.load_state_dict(payload["optimizer"])
    return payload["iteration"]
