"""Copies the saved tensors into the parameters by name under torch.no_grad(), then loads the optimizer."""

import torch


def load_checkpoint(src, model, optimizer):
    checkpoint = torch.load(src, weights_only=True)
    saved = checkpoint["model"]
    current = model.state_dict()
    if set(saved) != set(current):
        raise KeyError(f"checkpoint and model disagree on names: {sorted(set(saved) ^ set(current))}")
    with torch.no_grad():
        for name, tensor in current.items():
            tensor.copy_(saved[name])  # in place: the optimizer keeps pointing at these tensors
    optimizer.load_state_dict(checkpoint["optimizer"])
    iteration = checkpoint["iteration"]
    return iteration.item() if isinstance(iteration, torch.Tensor) else int(iteration)
