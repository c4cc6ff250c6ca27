"""Saves list(model.parameters()) instead of the state dict: no names, no buffers."""

import torch


def save_checkpoint(model, optimizer, iteration, out):
    torch.save({"model": [p.detach() for p in model.parameters()],
                "optimizer": optimizer.state_dict(), "iteration": iteration}, out)
